#include "transport/websocket_client.hpp"

#include <deque>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace lamplight::transport {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct websocket_client::impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::deque<ws_message> inbox;
  bool open = false;
  bool reading = false;
  std::string error;

  /// Runs the io_context until `done` or the deadline.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero())
        return false;
      ioc.restart();
      ioc.run_one_for(left);
    }
    return true;
  }

  void post_read() {
    if (reading || !open)
      return;
    reading = true;
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        open = false;
        error = ec.message();
        return;
      }
      inbox.push_back({beast::buffers_to_string(buffer.data()), !ws.got_text()});
      buffer.consume(buffer.size());
      post_read();
    });
  }

  bool write(const std::string& data, bool binary, std::chrono::milliseconds timeout) {
    if (!open)
      return false;
    bool done = false;
    bool ok = false;
    ws.text(!binary);
    ws.async_write(net::buffer(data), [&](beast::error_code ec, std::size_t) {
      done = true;
      ok = !ec;
      if (ec)
        error = ec.message();
    });
    if (!run_until([&] { return done; }, timeout)) {
      // A write that cannot finish means the connection is useless.
      beast::get_lowest_layer(ws).socket().close();
      run_until([&] { return done; }, std::chrono::seconds(1));
      open = false;
      return false;
    }
    return ok;
  }
};

websocket_client::websocket_client() : impl_(std::make_unique<impl>()) {}

websocket_client::~websocket_client() {
  abort();
}

bool websocket_client::connect(const std::string& host, uint16_t port, const std::string& path,
                               std::chrono::milliseconds timeout) {
  // A Beast stream is not reused after it closed or failed: each connect
  // starts from a fresh one (the old connection, if any, is dropped).
  abort();
  impl_ = std::make_unique<impl>();
  auto& d = *impl_;
  bool done = false;
  beast::error_code result;
  tcp::endpoint ep{net::ip::make_address(host), port};
  beast::get_lowest_layer(d.ws).expires_after(timeout);
  beast::get_lowest_layer(d.ws).async_connect(ep, [&](beast::error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    d.ws.async_handshake(host + ":" + std::to_string(port), path, [&](beast::error_code ec2) {
      result = ec2;
      done = true;
    });
  });
  if (!d.run_until([&] { return done; }, timeout + std::chrono::seconds(1)) || result) {
    d.error = result ? result.message() : "connect timed out";
    return false;
  }
  beast::get_lowest_layer(d.ws).expires_never();
  d.ws.read_message_max(64 * 1024 * 1024);
  d.open = true;
  d.post_read();
  return true;
}

bool websocket_client::send_text(const std::string& data, std::chrono::milliseconds timeout) {
  return impl_->write(data, false, timeout);
}

bool websocket_client::send_binary(const std::string& data, std::chrono::milliseconds timeout) {
  return impl_->write(data, true, timeout);
}

std::optional<ws_message> websocket_client::read(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  d.run_until([&] { return !d.inbox.empty() || !d.open; }, timeout);
  if (d.inbox.empty())
    return std::nullopt;
  auto m = std::move(d.inbox.front());
  d.inbox.pop_front();
  return m;
}

void websocket_client::poll() {
  auto& d = *impl_;
  if (!d.open)
    return;
  d.ioc.restart();
  d.ioc.poll();
}

void websocket_client::close(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.open)
    return;
  bool done = false;
  d.ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  d.run_until([&] { return done && !d.reading; }, timeout);
  d.open = false;
}

void websocket_client::abort() {
  auto& d = *impl_;
  beast::error_code ec;
  beast::get_lowest_layer(d.ws).socket().close(ec);
  d.open = false;
  // Let the cancelled operations finish so nothing refers to freed state.
  d.ioc.restart();
  d.ioc.poll();
}

bool websocket_client::closed() const {
  return !impl_->open;
}

uint16_t websocket_client::close_code() const {
  return static_cast<uint16_t>(impl_->ws.reason().code);
}

const std::string& websocket_client::error() const {
  return impl_->error;
}

http_result http_request_once(const std::string& host, uint16_t port, const std::string& method,
                              const std::string& target, const std::string& body,
                              std::chrono::milliseconds timeout,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  http_result out;
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  for (const auto& [name, value] : headers)
    req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint{net::ip::make_address(host), port}, [&](beast::error_code ec) {
    if (ec)
      return;
    http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
      if (ec2)
        return;
      http::async_read(stream, buffer, res, [&](beast::error_code ec3, std::size_t) {
        if (ec3)
          return;
        out.status = static_cast<int>(res.result_int());
        out.content_type = std::string(res[http::field::content_type]);
        out.body = res.body();
      });
    });
  });
  ioc.run_for(timeout + std::chrono::seconds(1));
  return out;
}

} // namespace lamplight::transport
