#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lamplight::transport {

/// An HTTP request as handlers see it (also the WebSocket upgrade request).
struct http_request {
  std::string method;   // "GET", ...
  std::string target;   // as sent: path and query
  std::string path;     // percent-decoded, without the query
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote_address;
  bool remote_is_loopback = false;

  /// The header's value, "" if absent; `name` in any case.
  std::string header(const std::string& name) const;
};

struct http_response {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// One WebSocket connection. Thread-safe: send and close may be called from
/// any thread; after the connection ended they do nothing.
class ws_connection {
public:
  virtual ~ws_connection() = default;
  /// Queues one message: a binary frame if `binary`, else a text frame.
  virtual void send(std::string data, bool binary) = 0;
  /// Sends the queued messages, then a close frame with `code` (RFC 6455 7.4).
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual const std::string& remote_address() const = 0;
  virtual uint64_t id() const = 0;
};

/// What the application does with a connection's messages. Calls for one
/// connection come one at a time, in order; on_close comes exactly once.
class ws_session_handler {
public:
  virtual ~ws_session_handler() = default;
  virtual void on_message(std::string data, bool binary) = 0;
  virtual void on_close() = 0;
};

struct websocket_server_config {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port; start() returns it
  unsigned io_threads = 1;
  /// Larger WebSocket messages close the connection with 1009 (too big).
  std::size_t max_message_bytes = 1024 * 1024;
  /// Larger HTTP bodies get 413.
  std::size_t max_body_bytes = 1024 * 1024;
  /// A client that does not read falls this far behind, then is closed with
  /// 1008 instead of growing the node's memory.
  std::size_t max_queue_bytes = 8 * 1024 * 1024;
  /// HTTP requests must arrive (and WebSocket handshakes finish) this fast.
  std::chrono::seconds request_timeout{30};
  /// A WebSocket peer silent this long is pinged; one that stays silent for
  /// as long again is gone (a dead lamp behind a NAT sends no FIN).
  std::chrono::seconds ws_idle_timeout{20};
};

using http_handler = std::function<http_response(const http_request&)>;
/// Returns the connection's handler, or nullptr to refuse it (404).
using ws_handler = std::function<std::shared_ptr<ws_session_handler>(
  std::shared_ptr<ws_connection>, const http_request&)>;

/// HTTP/1.1 and WebSocket (RFC 6455) on one TCP port, with Boost.Beast.
class websocket_server {
public:
  explicit websocket_server(websocket_server_config cfg);
  ~websocket_server();
  websocket_server(const websocket_server&) = delete;
  websocket_server& operator=(const websocket_server&) = delete;

  /// Set both before start().
  void set_http_handler(http_handler h);
  void set_ws_handler(ws_handler h);

  /// Binds, listens and starts the io threads. Returns the bound port;
  /// throws std::system_error when the address cannot be bound.
  uint16_t start();

  /// Stops accepting, closes every connection with 1001 (going away), waits
  /// (bounded) for them to end and joins the threads. Idempotent.
  void stop();

  struct impl;  // public only so the connection classes in the .cpp can name it

private:
  std::unique_ptr<impl> impl_;
};

} // namespace lamplight::transport
