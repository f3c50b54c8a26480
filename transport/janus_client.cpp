#include "transport/janus_client.hpp"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <google/protobuf/util/json_util.h>

namespace lamplight::transport {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace pb = google::protobuf;
using tcp = net::ip::tcp;
using protocol::errc;
using protocol::error;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto keepalive_period = std::chrono::seconds(25);
/// Janus acks every keepalive at once: this much silence means it froze.
constexpr auto silence_limit = std::chrono::seconds(60);
/// How long hangup, detach and the destructor's destroy wait for Janus.
constexpr auto housekeeping_timeout = std::chrono::seconds(2);

// -- JSON out ------------------------------------------------------------------

void append_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
}

void append_value(std::string& out, const pb::Value& v);

void append_struct(std::string& out, const pb::Struct& s) {
  out += '{';
  bool first = true;
  for (auto& [key, value] : s.fields()) {
    if (!first)
      out += ',';
    first = false;
    append_string(out, key);
    out += ':';
    append_value(out, value);
  }
  out += '}';
}

/// Our own writer rather than protobuf's: protobuf prints numbers as doubles
/// ("1.23456789012345e+15"), and Janus (jansson) rejects a real where it
/// wants an integer such as a room id. Integral values go out as integers.
void append_value(std::string& out, const pb::Value& v) {
  switch (v.kind_case()) {
  case pb::Value::kNumberValue: {
    double d = v.number_value();
    if (!std::isfinite(d)) {
      out += "null";
    } else if (d == std::floor(d) && std::fabs(d) < 9.2e18) {
      out += std::to_string(static_cast<int64_t>(d));
    } else {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      out += buf;
    }
    break;
  }
  case pb::Value::kStringValue:
    append_string(out, v.string_value());
    break;
  case pb::Value::kBoolValue:
    out += v.bool_value() ? "true" : "false";
    break;
  case pb::Value::kStructValue:
    append_struct(out, v.struct_value());
    break;
  case pb::Value::kListValue: {
    out += '[';
    bool first = true;
    for (auto& item : v.list_value().values()) {
      if (!first)
        out += ',';
      first = false;
      append_value(out, item);
    }
    out += ']';
    break;
  }
  default:
    out += "null";
  }
}

/// {"janus":kind,"transaction":tx[,"session_id":s][,"handle_id":h]<extra>}
/// where `extra` is empty or starts with a comma.
std::string envelope(const char* kind, const std::string& tx, uint64_t session, uint64_t handle,
                     const std::string& extra = "") {
  std::string out = "{\"janus\":\"";
  out += kind;
  out += "\",\"transaction\":";
  append_string(out, tx);
  if (session != 0)
    out += ",\"session_id\":" + std::to_string(session);
  if (handle != 0)
    out += ",\"handle_id\":" + std::to_string(handle);
  out += extra;
  out += '}';
  return out;
}

// -- JSON in -------------------------------------------------------------------

const pb::Value* field(const pb::Struct& s, const char* name) {
  auto i = s.fields().find(name);
  return i == s.fields().end() ? nullptr : &i->second;
}

std::string string_field(const pb::Struct& s, const char* name) {
  auto v = field(s, name);
  return v && v->kind_case() == pb::Value::kStringValue ? v->string_value() : std::string();
}

/// Janus ids are below 2^53 (it keeps them JavaScript-safe), so the double
/// protobuf parses them into holds them exactly.
uint64_t id_field(const pb::Struct& s, const char* name) {
  auto v = field(s, name);
  if (!v || v->kind_case() != pb::Value::kNumberValue || v->number_value() < 0)
    return 0;
  return static_cast<uint64_t>(v->number_value());
}

const pb::Struct* struct_field(const pb::Struct& s, const char* name) {
  auto v = field(s, name);
  return v && v->kind_case() == pb::Value::kStructValue ? &v->struct_value() : nullptr;
}

/// "code reason" of a Janus {"janus":"error","error":{"code":..,"reason":..}}.
std::string janus_error_text(const pb::Struct& msg) {
  auto e = struct_field(msg, "error");
  if (!e)
    return "janus error";
  auto code = field(*e, "code");
  std::string out = "janus error";
  if (code && code->kind_case() == pb::Value::kNumberValue)
    out += " " + std::to_string(static_cast<int64_t>(code->number_value()));
  auto reason = string_field(*e, "reason");
  if (!reason.empty())
    out += ": " + reason;
  return out;
}

bool trace_enabled() {
  const char* v = std::getenv("LAMPLIGHT_JANUS_TRACE");
  return v && *v && std::string(v) != "0";
}

} // namespace

// -- the connection ------------------------------------------------------------

struct janus_client::impl {
  /// One caller waiting for the answer to its transaction.
  struct pending {
    bool ack_completes = false; // keepalive, trickle: "ack" is the answer
    bool done = false;
    pb::Struct reply;
    std::optional<error> failure;
  };

  using ws_stream = websocket::stream<beast::tcp_stream>;

  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  // Touched on the io thread only.
  std::unique_ptr<ws_stream> ws;
  tcp::resolver resolver{ioc};
  beast::flat_buffer buffer;
  std::deque<std::string> outbox;
  bool writing = false;
  bool ws_open = false;
  net::steady_timer keepalive{ioc};
  net::steady_timer close_timer{ioc};
  uint64_t keepalive_count = 0;
  clock_type::time_point last_rx;

  // Shared with callers, under mu.
  mutable std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::string closed_why = "not connected";
  uint64_t next_tx = 0;
  std::unordered_map<std::string, std::shared_ptr<pending>> waiting;
  std::function<void(const janus_event&)> handler;

  std::atomic<uint64_t> session{0};
  bool connect_called = false; // caller side, under mu
  const bool trace = trace_enabled();
  std::thread thread;
  std::thread::id io_id;

  impl() {
    thread = std::thread([this] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          // A handler that throws must not take the reader down with it.
          if (trace)
            std::cerr << "janus_client: handler threw: " << e.what() << "\n";
        }
      }
    });
    io_id = thread.get_id();
  }

  bool on_io_thread() const { return std::this_thread::get_id() == io_id; }

  // -- io thread ---------------------------------------------------------------

  void fail_all(const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (open)
        closed_why = why; // the first cause, not its echoes
      open = false;
      for (auto& [tx, p] : waiting) {
        p->failure = error{errc::unavailable, "janus: " + why};
        p->done = true;
      }
      waiting.clear();
    }
    cv.notify_all();
    ws_open = false;
    keepalive.cancel();
    close_timer.cancel();
    outbox.clear();
    if (ws) {
      beast::error_code ec;
      beast::get_lowest_layer(*ws).socket().close(ec);
    }
  }

  void post_read() {
    ws->async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        fail_all("connection closed (" + ec.message() + ")");
        return;
      }
      last_rx = clock_type::now();
      auto text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      dispatch(text);
      post_read();
    });
  }

  void dispatch(const std::string& text) {
    if (trace)
      std::cerr << "janus <- " << text << "\n";
    pb::Value v;
    if (!pb::util::JsonStringToMessage(text, &v).ok() || v.kind_case() != pb::Value::kStructValue)
      return; // not JSON or not an object: nothing we could answer
    auto& msg = *v.mutable_struct_value();
    auto kind = string_field(msg, "janus");
    if (kind.empty())
      return;
    auto tx = string_field(msg, "transaction");
    bool is_reply = kind == "success" || kind == "error" || kind == "ack" || kind == "event";
    if (is_reply && !tx.empty()) {
      std::unique_lock<std::mutex> lock(mu);
      auto i = waiting.find(tx);
      if (i != waiting.end()) {
        auto& p = *i->second;
        // A message's "ack" only says Janus queued it: the answer follows.
        if (kind == "ack" && !p.ack_completes)
          return;
        p.reply = std::move(msg);
        p.done = true;
        waiting.erase(i);
        lock.unlock();
        cv.notify_all();
        return;
      }
    }
    // Late answers to calls that timed out, keepalive acks: nobody asked.
    // A late "event" does go on: it still tells what Janus did.
    if (kind == "success" || kind == "error" || kind == "ack")
      return;
    janus_event e;
    e.handle = id_field(msg, "sender");
    e.kind = std::move(kind);
    e.message = std::move(msg);
    std::function<void(const janus_event&)> f;
    {
      std::lock_guard<std::mutex> lock(mu);
      f = handler;
    }
    if (f) {
      try {
        f(e);
      } catch (const std::exception& ex) {
        if (trace)
          std::cerr << "janus_client: on_event threw: " << ex.what() << "\n";
      }
    }
  }

  void enqueue(std::string text) {
    if (!ws_open)
      return; // the callers were failed when it closed
    outbox.push_back(std::move(text));
    if (!writing)
      write_next();
  }

  void write_next() {
    writing = true;
    if (trace)
      std::cerr << "janus -> " << outbox.front() << "\n";
    ws->text(true);
    ws->async_write(net::buffer(outbox.front()), [this](beast::error_code ec, std::size_t) {
      writing = false;
      if (ec) {
        fail_all("write failed (" + ec.message() + ")");
        return;
      }
      if (!outbox.empty())
        outbox.pop_front();
      if (!outbox.empty() && ws_open)
        write_next();
    });
  }

  void schedule_keepalive() {
    keepalive.expires_after(keepalive_period);
    keepalive.async_wait([this](beast::error_code ec) {
      if (ec || !ws_open || session == 0)
        return;
      if (clock_type::now() - last_rx > silence_limit)
        return fail_all("Janus silent for " + std::to_string(silence_limit.count()) + " s");
      // Nobody waits for the ack: a dead connection shows up on the reader,
      // and a lost session in the next call's answer.
      enqueue(envelope("keepalive", "ka-" + std::to_string(++keepalive_count), session, 0));
      schedule_keepalive();
    });
  }

  /// Graceful close when possible, bounded by close_timer either way.
  void shut() {
    keepalive.cancel();
    if (!ws || !ws_open) {
      if (ws) {
        beast::error_code ec;
        beast::get_lowest_layer(*ws).socket().close(ec);
      }
      return;
    }
    ws_open = false;
    close_timer.expires_after(std::chrono::milliseconds(1500));
    close_timer.async_wait([this](beast::error_code ec) {
      if (!ec && ws) {
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
      }
    });
    if (writing) {
      // Beast allows one write-like operation at a time; do not wait for it.
      beast::error_code ignored;
      beast::get_lowest_layer(*ws).socket().close(ignored);
      close_timer.cancel();
      return;
    }
    ws->async_close(websocket::close_code::normal, [this](beast::error_code) {
      close_timer.cancel();
      beast::error_code ignored;
      beast::get_lowest_layer(*ws).socket().close(ignored);
    });
  }

  // -- caller threads ----------------------------------------------------------

  /// Sends `text_of(tx)` and waits for the answer to tx: the whole reply, or
  /// the typed failure.
  protocol::result<pb::Struct> call(const std::function<std::string(const std::string&)>& text_of,
                                    bool ack_completes, bool wait, const std::string& what,
                                    std::chrono::milliseconds timeout) {
    if (wait && on_io_thread())
      return error{errc::wrong_state, "janus: " + what +
                                          " cannot wait on the reader thread "
                                          "(called from on_event)"};
    auto p = std::make_shared<pending>();
    p->ack_completes = ack_completes;
    std::string tx;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!open)
        return error{errc::unavailable, "janus: " + what + ": " + closed_why};
      tx = "t" + std::to_string(++next_tx);
      if (wait)
        waiting.emplace(tx, p);
    }
    net::post(ioc, [this, text = text_of(tx)]() mutable { enqueue(std::move(text)); });
    if (!wait)
      return pb::Struct{};
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, timeout, [&] { return p->done; })) {
      waiting.erase(tx);
      return error{errc::timeout, "janus: no answer to " + what + " within " +
                                      std::to_string(timeout.count()) + " ms"};
    }
    if (p->failure)
      return *p->failure;
    if (string_field(p->reply, "janus") == "error")
      return error{errc::bad_request, "janus: " + what + ": " + janus_error_text(p->reply)};
    return std::move(p->reply);
  }
};

// -- public --------------------------------------------------------------------

janus_client::janus_client() : impl_(std::make_unique<impl>()) {}

janus_client::~janus_client() {
  auto& d = *impl_;
  if (connected() && !d.on_io_thread()) {
    auto s = d.session.load();
    d.call([s](const std::string& tx) { return envelope("destroy", tx, s, 0); }, false, true,
           "destroy", housekeeping_timeout);
  }
  net::post(d.ioc, [&d] { d.shut(); });
  d.work.reset();
  // Joins once the socket's operations ended: shut() bounds that by 1.5 s.
  if (d.thread.joinable())
    d.thread.join();
  // Nobody waits any more, but fail whatever is left for good measure.
  std::lock_guard<std::mutex> lock(d.mu);
  d.open = false;
}

protocol::result<bool> janus_client::connect(const std::string& host, uint16_t port,
                                             std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (d.on_io_thread())
    return error{errc::wrong_state, "janus: connect called from on_event"};
  auto deadline = clock_type::now() + timeout;
  {
    // A stream that once failed may still have handlers queued; a fresh
    // client is simpler than telling their generations apart.
    std::lock_guard<std::mutex> lock(d.mu);
    if (d.connect_called)
      return error{errc::wrong_state, "janus: connect called twice (one session per client)"};
    d.connect_called = true;
  }
  // Connect and handshake on the io thread; this thread waits for the outcome.
  struct outcome {
    bool done = false;
    bool timed_out = false;
    bool abandoned = false; // the caller gave up: a late success opens nothing
    std::string error;
  };
  auto out = std::make_shared<outcome>();
  auto finish = [&d, out](std::string err, beast::error_code ec = {}) {
    {
      std::lock_guard<std::mutex> lock(d.mu);
      out->done = true;
      out->timed_out = ec == beast::error::timeout;
      out->error = std::move(err);
      // Open from here on, so that a close right after is not missed.
      if (out->error.empty() && !out->abandoned)
        d.open = true;
    }
    d.cv.notify_all();
  };
  net::post(d.ioc, [&d, host, port, timeout, finish] {
    d.ws = std::make_unique<impl::ws_stream>(d.ioc);
    d.buffer.consume(d.buffer.size());
    d.outbox.clear();
    d.writing = false;
    beast::get_lowest_layer(*d.ws).expires_after(timeout);
    d.resolver.async_resolve(
        host, std::to_string(port),
        [&d, host, port, finish](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec)
            return finish("cannot resolve " + host + " (" + ec.message() + ")", ec);
          beast::get_lowest_layer(*d.ws).async_connect(
              results, [&d, host, port, finish](beast::error_code ec2, const tcp::endpoint&) {
                if (ec2)
                  return finish("cannot connect to " + host + ":" + std::to_string(port) + " (" +
                                    ec2.message() + ")",
                                ec2);
                d.ws->set_option(
                    websocket::stream_base::decorator([](websocket::request_type& req) {
                      req.set(beast::http::field::sec_websocket_protocol, "janus-protocol");
                    }));
                auto res = std::make_shared<websocket::response_type>();
                d.ws->async_handshake(
                    *res, host + ":" + std::to_string(port), "/",
                    [&d, res, finish](beast::error_code ec3) {
                      if (ec3)
                        return finish("WebSocket handshake failed (" + ec3.message() + ")", ec3);
                      if ((*res)[beast::http::field::sec_websocket_protocol] != "janus-protocol")
                        return finish("the server did not accept subprotocol janus-protocol");
                      beast::get_lowest_layer(*d.ws).expires_never();
                      // A dead Janus shows up on the socket, a frozen one through
                      // unanswered keepalives. Not Beast's idle pings: their timer
                      // outlives a closed socket and would hold up the destructor.
                      websocket::stream_base::timeout t{};
                      t.handshake_timeout = std::chrono::seconds(2);
                      t.idle_timeout = websocket::stream_base::none();
                      t.keep_alive_pings = false;
                      d.ws->set_option(t);
                      d.last_rx = clock_type::now();
                      d.ws->read_message_max(64 * 1024 * 1024);
                      d.ws_open = true;
                      d.post_read();
                      finish("");
                    });
              });
        });
  });
  std::unique_lock<std::mutex> lock(d.mu);
  // The io side gives up at `timeout` by itself (the stream's expiry).
  d.cv.wait_until(lock, deadline + std::chrono::seconds(1), [&] { return out->done; });
  if (!out->done || !out->error.empty()) {
    out->abandoned = true;
    auto why = out->done ? out->error : std::string("connect timed out");
    lock.unlock();
    net::post(d.ioc, [&d] {
      d.resolver.cancel();
      if (d.ws) {
        beast::error_code ec;
        beast::get_lowest_layer(*d.ws).socket().close(ec);
      }
    });
    bool timed_out = !out->done || out->timed_out;
    return error{timed_out ? errc::timeout : errc::unavailable, "janus: " + why};
  }
  lock.unlock();

  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  auto r = d.call([](const std::string& tx) { return envelope("create", tx, 0, 0); }, false, true,
                  "create session", std::max(left, std::chrono::milliseconds(1)));
  uint64_t id = 0;
  if (r)
    if (auto data = struct_field(*r, "data"))
      id = id_field(*data, "id");
  if (id == 0) {
    net::post(d.ioc, [&d] { d.fail_all("session not created"); });
    if (!r)
      return r.err();
    return error{errc::internal, "janus: create session: no id in the answer"};
  }
  d.session = id;
  net::post(d.ioc, [&d] { d.schedule_keepalive(); });
  return true;
}

protocol::result<uint64_t> janus_client::attach(const std::string& plugin,
                                                std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto s = d.session.load();
  auto r = d.call(
      [&](const std::string& tx) {
        std::string extra = ",\"plugin\":";
        append_string(extra, plugin);
        return envelope("attach", tx, s, 0, extra);
      },
      false, true, "attach " + plugin, timeout);
  if (!r)
    return r.err();
  auto data = struct_field(*r, "data");
  auto id = data ? id_field(*data, "id") : 0;
  if (id == 0)
    return error{errc::internal, "janus: attach " + plugin + ": no handle id in the answer"};
  return id;
}

protocol::result<janus_reply> janus_client::message(uint64_t handle, const pb::Struct& body,
                                                    const std::string& jsep_type,
                                                    const std::string& jsep_sdp,
                                                    std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto s = d.session.load();
  auto request = string_field(body, "request");
  auto what = "message" + (request.empty() ? std::string() : " '" + request + "'") + " to handle " +
              std::to_string(handle);
  auto r = d.call(
      [&](const std::string& tx) {
        std::string extra = ",\"body\":";
        append_struct(extra, body);
        if (!jsep_type.empty()) {
          extra += ",\"jsep\":{\"type\":";
          append_string(extra, jsep_type);
          extra += ",\"sdp\":";
          append_string(extra, jsep_sdp);
          extra += '}';
        }
        return envelope("message", tx, s, handle, extra);
      },
      false, true, what, timeout);
  if (!r)
    return r.err();
  janus_reply out;
  auto plugindata = struct_field(*r, "plugindata");
  if (auto data = plugindata ? struct_field(*plugindata, "data") : nullptr)
    out.data = *data;
  auto code = field(out.data, "error_code");
  auto reason = string_field(out.data, "error");
  if (code || !reason.empty()) {
    std::string text = "janus: " + what + ": plugin error";
    if (code && code->kind_case() == pb::Value::kNumberValue)
      text += " " + std::to_string(static_cast<int64_t>(code->number_value()));
    if (!reason.empty())
      text += ": " + reason;
    return error{errc::bad_request, text};
  }
  if (auto jsep = struct_field(*r, "jsep")) {
    out.jsep_type = string_field(*jsep, "type");
    out.jsep_sdp = string_field(*jsep, "sdp");
  }
  return out;
}

protocol::result<bool> janus_client::trickle_completed(uint64_t handle,
                                                       std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto s = d.session.load();
  auto r = d.call(
      [&](const std::string& tx) {
        return envelope("trickle", tx, s, handle, ",\"candidate\":{\"completed\":true}");
      },
      true, true, "trickle completed for handle " + std::to_string(handle), timeout);
  if (!r)
    return r.err();
  return true;
}

void janus_client::hangup(uint64_t handle) {
  auto& d = *impl_;
  auto s = d.session.load();
  d.call([&](const std::string& tx) { return envelope("hangup", tx, s, handle); }, false,
         !d.on_io_thread(), "hangup", housekeeping_timeout);
}

void janus_client::detach(uint64_t handle) {
  auto& d = *impl_;
  auto s = d.session.load();
  d.call([&](const std::string& tx) { return envelope("detach", tx, s, handle); }, false,
         !d.on_io_thread(), "detach", housekeeping_timeout);
}

// -- VideoRoom streams ------------------------------------------------------

std::vector<videoroom_stream> videoroom_streams(const pb::Struct& data) {
  std::vector<videoroom_stream> out;
  auto list = field(data, "streams");
  if (!list || list->kind_case() != pb::Value::kListValue)
    return out;
  for (auto& item : list->list_value().values()) {
    if (item.kind_case() != pb::Value::kStructValue)
      continue;
    auto& s = item.struct_value();
    videoroom_stream v;
    v.mid = string_field(s, "mid");
    v.type = string_field(s, "type");
    // Publisher lists have no "active"; their streams are there if listed.
    if (auto a = field(s, "active"); a && a->kind_case() == pb::Value::kBoolValue)
      v.active = a->bool_value();
    if (auto d = field(s, "disabled"); d && d->kind_case() == pb::Value::kBoolValue)
      v.disabled = d->bool_value();
    v.feed_id = id_field(s, "feed_id");
    v.feed_mid = string_field(s, "feed_mid");
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>>
named_sections(const std::vector<videoroom_stream>& streams,
               const std::map<std::pair<uint64_t, std::string>, std::string>& names) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& s : streams) {
    if (!s.active || s.feed_id == 0 || (s.type != "audio" && s.type != "video"))
      continue;
    auto i = names.find({s.feed_id, s.feed_mid});
    if (i == names.end())
      i = names.find({s.feed_id, std::string()});
    if (i != names.end())
      out.emplace_back(s.mid, i->second);
  }
  return out;
}

void janus_client::on_event(std::function<void(const janus_event&)> f) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->handler = std::move(f);
}

bool janus_client::connected() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->open && impl_->session != 0;
}

uint64_t janus_client::session_id() const {
  return impl_->session;
}

} // namespace lamplight::transport
