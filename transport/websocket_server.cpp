#include "transport/websocket_server.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "transport/http_util.hpp"
#include "transport/lingering_tcp_stream.hpp"

namespace lamplight::transport {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::string http_request::header(const std::string& name) const {
  auto i = headers.find(to_lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

namespace {

/// Registry of live connections, so stop() can close them and wait.
struct connection_registry;

class ws_session;

http_request to_request(const http::request<http::string_body>& req,
                        const tcp::endpoint& remote) {
  http_request out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  auto q = out.target.find('?');
  out.path = percent_decode(out.target.substr(0, q), false);
  if (q != std::string::npos)
    out.query = parse_query(out.target.substr(q + 1));
  for (const auto& f : req)
    out.headers[to_lower(std::string(f.name_string()))] = std::string(f.value());
  out.body = req.body();
  out.remote_address = remote.address().to_string();
  out.remote_is_loopback = remote.address().is_loopback();
  return out;
}

} // namespace

struct websocket_server::impl {
  websocket_server_config cfg;
  http_handler on_http;
  ws_handler on_ws;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<uint64_t> next_id{1};
  std::mutex mtx;
  std::condition_variable cv;
  std::set<std::shared_ptr<ws_session>> sessions;  // open WebSocket sessions
  bool stopping = false;
  bool started = false;

  explicit impl(websocket_server_config c) : cfg(std::move(c)) {}
  void accept();
  void forget(const std::shared_ptr<ws_session>& s);
};

namespace {

/// What the application holds of a connection: it outlives neither the
/// session nor the server's io_context, since the session clears it when it
/// ends. Handles kept by actors after the server stopped are harmless.
struct session_slot {
  std::mutex mtx;
  ws_session* session = nullptr;
};

class connection_handle : public ws_connection {
public:
  connection_handle(std::shared_ptr<session_slot> slot, std::string remote, uint64_t id)
    : slot_(std::move(slot)), remote_(std::move(remote)), id_(id) {}
  void send(std::string data, bool binary) override;
  void close(uint16_t code, std::string reason) override;
  const std::string& remote_address() const override { return remote_; }
  uint64_t id() const override { return id_; }

private:
  std::shared_ptr<session_slot> slot_;
  std::string remote_;
  uint64_t id_;
};

class ws_session : public std::enable_shared_from_this<ws_session> {
public:
  ws_session(websocket_server::impl& srv, tcp::socket socket, uint64_t id)
    : srv_(srv), ws_(std::move(socket)), id_(id), slot_(std::make_shared<session_slot>()) {
    beast::error_code ec;
    remote_ = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec).address().to_string();
    slot_->session = this;
  }

  ~ws_session() {
    detach();
    notify_closed();
  }

  std::shared_ptr<ws_connection> handle() {
    return std::make_shared<connection_handle>(slot_, remote_, id_);
  }

  void run(http::request<http::string_body> req, std::shared_ptr<ws_session_handler> handler) {
    handler_ = std::move(handler);
    beast::get_lowest_layer(ws_).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = srv_.cfg.ws_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(srv_.cfg.max_message_bytes);
    ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
  }

  /// Called with the slot's mutex held (see connection_handle).
  void post_send(std::string data, bool binary) {
    auto self = weak_from_this().lock();
    if (!self)
      return;
    net::post(ws_.get_executor(), [self, d = std::move(data), binary]() mutable {
      self->enqueue(std::move(d), binary);
    });
  }

  void post_close(uint16_t code, std::string reason) {
    auto self = weak_from_this().lock();
    if (!self)
      return;
    net::post(ws_.get_executor(),
              [self, code, r = std::move(reason)]() { self->begin_close(code, r); });
  }

  /// After the io threads stopped: drop the socket, tell the handler.
  void force_finish() {
    detach();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    finished_ = true;
    notify_closed();
  }

private:
  void on_accept(beast::error_code ec) {
    if (ec)
      return finish();
    accepted_ = true;
    do_read();
    flush();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return finish();
    auto data = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (handler_ && !closing_)
      handler_->on_message(std::move(data), !ws_.got_text());
    do_read();
  }

  void enqueue(std::string data, bool binary) {
    if (finished_ || closing_)
      return;
    queued_bytes_ += data.size();
    if (queued_bytes_ > srv_.cfg.max_queue_bytes) {
      queue_.clear();
      queued_bytes_ = 0;
      return begin_close(static_cast<uint16_t>(websocket::close_code::policy_error),
                         "slow consumer");
    }
    queue_.emplace_back(std::move(data), binary);
    flush();
  }

  void flush() {
    if (writing_ || !accepted_ || finished_)
      return;
    if (queue_.empty()) {
      if (closing_ && !close_sent_) {
        close_sent_ = true;
        ws_.async_close(close_reason_,
                        [self = shared_from_this()](beast::error_code) { self->finish(); });
      }
      return;
    }
    writing_ = true;
    ws_.text(!queue_.front().second);
    ws_.async_write(net::buffer(queue_.front().first),
                    beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec)
      return finish();
    queued_bytes_ -= queue_.front().first.size();
    queue_.pop_front();
    flush();
  }

  void begin_close(uint16_t code, const std::string& reason) {
    if (closing_ || finished_)
      return;
    closing_ = true;
    close_reason_.code = code;
    close_reason_.reason = reason.substr(0, 120);  // a close frame holds 123 bytes
    if (!accepted_)
      return finish();
    flush();
  }

  /// From now on the application's handles do nothing.
  void detach() {
    std::lock_guard<std::mutex> guard(slot_->mtx);
    slot_->session = nullptr;
  }

  void finish() {
    if (finished_)
      return;
    finished_ = true;
    detach();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
    notify_closed();
    srv_.forget(shared_from_this());
  }

  void notify_closed() {
    if (handler_ && !closed_notified_) {
      closed_notified_ = true;
      handler_->on_close();
    }
  }

  websocket_server::impl& srv_;
  websocket::stream<lingering_tcp_stream> ws_;
  uint64_t id_;
  std::shared_ptr<session_slot> slot_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ws_session_handler> handler_;
  std::deque<std::pair<std::string, bool>> queue_;
  std::size_t queued_bytes_ = 0;
  websocket::close_reason close_reason_;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
  bool closed_notified_ = false;
};

void connection_handle::send(std::string data, bool binary) {
  std::lock_guard<std::mutex> guard(slot_->mtx);
  if (slot_->session)
    slot_->session->post_send(std::move(data), binary);
}

void connection_handle::close(uint16_t code, std::string reason) {
  std::lock_guard<std::mutex> guard(slot_->mtx);
  if (slot_->session)
    slot_->session->post_close(code, std::move(reason));
}

/// Reads HTTP requests on one connection until it upgrades or ends.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(websocket_server::impl& srv, tcp::socket socket)
    : srv_(srv), stream_(std::move(socket)) {}

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&http_session::do_read, shared_from_this()));
  }

private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(srv_.cfg.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(srv_.cfg.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      http_response too_big{413, "text/plain", "request body too large\n", {}};
      return respond(std::move(too_big), 11, false);
    }
    if (ec)
      return shut();
    {
      std::lock_guard<std::mutex> guard(srv_.mtx);
      if (srv_.stopping)
        return shut();
    }
    auto req = parser_->release();
    beast::error_code ep_ec;
    auto remote = stream_.socket().remote_endpoint(ep_ec);
    auto request = to_request(req, remote);
    if (websocket::is_upgrade(req)) {
      auto id = srv_.next_id++;
      auto session = std::make_shared<ws_session>(srv_, stream_.release_socket(), id);
      std::shared_ptr<ws_session_handler> handler;
      if (srv_.on_ws) {
        try {
          handler = srv_.on_ws(session->handle(), request);
        } catch (...) {
          handler = nullptr;
        }
      }
      if (!handler)
        return;  // dropping the socket refuses the upgrade
      {
        std::lock_guard<std::mutex> guard(srv_.mtx);
        srv_.sessions.insert(session);
      }
      session->run(std::move(req), std::move(handler));
      return;
    }
    http_response res;
    try {
      res = srv_.on_http ? srv_.on_http(request)
                         : http_response{404, "text/plain", "not found\n", {}};
    } catch (const std::exception& e) {
      res = http_response{500, "text/plain", std::string("internal error: ") + e.what(), {}};
    }
    respond(std::move(res), req.version(), req.keep_alive() && req.method() != http::verb::unknown,
            req.method() == http::verb::head);
  }

  void respond(http_response r, unsigned version, bool keep_alive, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(r.status), version);
    res->set(http::field::server, "lamplight");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (auto& [k, v] : r.headers)
      res->set(k, v);
    res->keep_alive(keep_alive);
    if (!head)
      res->body() = std::move(r.body);
    else
      res->content_length(r.body.size());
    if (!head)
      res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec,
                                                                   std::size_t) {
                        if (ec || !keep_alive)
                          return self->shut();
                        self->do_read();
                      });
  }

  void shut() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  websocket_server::impl& srv_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

} // namespace

void websocket_server::impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open())
        return;
    } else {
      std::make_shared<http_session>(*this, std::move(s))->run();
    }
    accept();
  });
}

void websocket_server::impl::forget(const std::shared_ptr<ws_session>& s) {
  std::lock_guard<std::mutex> guard(mtx);
  sessions.erase(s);
  cv.notify_all();
}

websocket_server::websocket_server(websocket_server_config cfg)
  : impl_(std::make_unique<impl>(std::move(cfg))) {}

websocket_server::~websocket_server() {
  stop();
}

void websocket_server::set_http_handler(http_handler h) {
  impl_->on_http = std::move(h);
}

void websocket_server::set_ws_handler(ws_handler h) {
  impl_->on_ws = std::move(h);
}

uint16_t websocket_server::start() {
  auto& d = *impl_;
  auto addr = net::ip::make_address(d.cfg.bind_address);
  tcp::endpoint ep{addr, d.cfg.port};
  d.acceptor.open(ep.protocol());
  d.acceptor.set_option(net::socket_base::reuse_address(true));
  d.acceptor.bind(ep);
  d.acceptor.listen(net::socket_base::max_listen_connections);
  auto port = d.acceptor.local_endpoint().port();
  d.work.emplace(d.ioc.get_executor());
  d.accept();
  for (unsigned i = 0; i < std::max(1u, d.cfg.io_threads); ++i)
    d.threads.emplace_back([&d] {
      for (;;) {
        try {
          d.ioc.run();
          return;
        } catch (...) {
          // A handler threw: keep serving the other connections.
        }
      }
    });
  d.started = true;
  return port;
}

void websocket_server::stop() {
  auto& d = *impl_;
  {
    std::lock_guard<std::mutex> guard(d.mtx);
    if (d.stopping || !d.started)
      return;
    d.stopping = true;
  }
  net::post(d.ioc, [&d] {
    beast::error_code ec;
    d.acceptor.close(ec);
  });
  std::vector<std::shared_ptr<ws_session>> open;
  {
    std::lock_guard<std::mutex> guard(d.mtx);
    open.assign(d.sessions.begin(), d.sessions.end());
  }
  for (auto& s : open)
    s->post_close(static_cast<uint16_t>(websocket::close_code::going_away),
                  "server shutting down");
  {
    // Clients get a few seconds to answer the close handshake.
    std::unique_lock<std::mutex> guard(d.mtx);
    d.cv.wait_for(guard, std::chrono::seconds(3), [&] { return d.sessions.empty(); });
  }
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.threads)
    t.join();
  d.threads.clear();
  // Whatever did not finish in time is closed now; handlers hear on_close.
  std::set<std::shared_ptr<ws_session>> left;
  {
    std::lock_guard<std::mutex> guard(d.mtx);
    left.swap(d.sessions);
  }
  for (auto& s : left)
    s->force_finish();
}

} // namespace lamplight::transport
