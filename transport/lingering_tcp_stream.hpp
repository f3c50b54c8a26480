#pragma once

// A Beast TCP stream whose WebSocket teardown lingers: after the close frame
// it reads and discards what the peer still sends, until the peer's FIN or a
// deadline, and only then closes the socket.
//
// Why: Beast 1.74's own teardown (websocket/impl/teardown.hpp) reads at most
// one 2 KiB chunk before it closes (its "bytes_transferred == 0" check looks
// at the wrong variable). A peer still sending, say the rest of a message
// refused with 1009, then has unread bytes in our receive queue, so close()
// sends an RST; the peer's next write fails on it and its stream gives up
// before reading our close frame: a browser sees 1006 instead of 1009. TCP's lingering close (RFC 7230 section 6.6
// describes the same for HTTP) avoids that.

#include <array>
#include <chrono>
#include <memory>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace lamplight::transport {

class lingering_tcp_stream : public boost::beast::tcp_stream {
public:
  using boost::beast::tcp_stream::tcp_stream;

  /// How long a closing connection waits for the peer to stop sending.
  static constexpr std::chrono::seconds linger{2};
};

namespace detail {

struct linger_op {
  lingering_tcp_stream& stream;
  boost::beast::role_type role;
  // On the heap: the composed operation moves between steps, the buffer of a
  // pending read must not.
  std::unique_ptr<std::array<char, 4096>> buf = std::make_unique<std::array<char, 4096>>();
  bool started = false;

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}, std::size_t = 0) {
    namespace net = boost::asio;
    if (!started) {
      started = true;
      stream.expires_after(lingering_tcp_stream::linger);
      // The server sends its FIN first (RFC 6455 section 7.1.1); a client
      // waits for the server's.
      if (role == boost::beast::role_type::server)
        stream.socket().shutdown(net::socket_base::shutdown_send, ec);
      ec = {};
    } else if (ec) {
      // The peer's FIN is the clean end; a timeout or reset ends it too.
      boost::system::error_code ignored;
      if (role == boost::beast::role_type::client)
        stream.socket().shutdown(net::socket_base::shutdown_send, ignored);
      stream.socket().close(ignored);
      stream.expires_never();
      return self.complete(ec == net::error::eof ? boost::system::error_code{} : ec);
    }
    stream.async_read_some(net::buffer(*buf), std::move(self));
  }
};

}  // namespace detail

/// Found by argument-dependent lookup from websocket::stream's close and
/// failure paths; preferred over Beast's basic_stream overload as the exact
/// type.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, lingering_tcp_stream& stream,
                    TeardownHandler&& handler) {
  boost::asio::async_compose<TeardownHandler, void(boost::system::error_code)>(
    detail::linger_op{stream, role}, handler, stream);
}

}  // namespace lamplight::transport
