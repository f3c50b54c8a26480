#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lamplight::transport {

struct ws_message {
  std::string data;
  bool binary = false;
};

/// A blocking WebSocket client for tests, the shell and the bench. Every call
/// has a deadline: nothing here waits forever. One read stays posted at all
/// times, so a read that times out loses nothing.
class websocket_client {
public:
  websocket_client();
  ~websocket_client();
  websocket_client(const websocket_client&) = delete;
  websocket_client& operator=(const websocket_client&) = delete;

  /// Connects and completes the handshake; false (with error()) otherwise.
  /// Again after a close or failure: a new connection (what was unread on
  /// the old one is dropped).
  bool connect(const std::string& host, uint16_t port, const std::string& path,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// False if the connection is gone or the write did not finish in time.
  bool send_text(const std::string& data,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool send_binary(const std::string& data,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// The next message, or nullopt at the deadline or when closed.
  std::optional<ws_message> read(std::chrono::milliseconds timeout);

  /// Does what is ready without waiting: takes arrived frames into the
  /// inbox and answers the server's pings (the client has no thread of its
  /// own, so between reads nothing else does).
  void poll();

  /// Sends a close frame and waits (bounded) for the peer's.
  void close(std::chrono::milliseconds timeout = std::chrono::seconds(2));
  /// Drops the TCP connection without a close handshake (a vanished client).
  void abort();

  bool closed() const;
  /// The peer's close code (1000, 1009, ...), 0 if none was received.
  uint16_t close_code() const;
  const std::string& error() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

struct http_result {
  int status = 0;  // 0: no response (connection failed or timed out)
  std::string content_type;
  std::string body;
};

/// One HTTP/1.1 request on a fresh connection, with a deadline and extra
/// header fields (name, value).
http_result http_request_once(
  const std::string& host, uint16_t port, const std::string& method, const std::string& target,
  const std::string& body = "", std::chrono::milliseconds timeout = std::chrono::seconds(5),
  const std::vector<std::pair<std::string, std::string>>& headers = {});

inline http_result http_get(const std::string& host, uint16_t port, const std::string& target,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return http_request_once(host, port, "GET", target, "", timeout);
}

} // namespace lamplight::transport
