// The WebSocket/HTTP server and client on real loopback sockets.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>

#include "tests/support/temp_dir.hpp"
#include "transport/http_router.hpp"
#include "transport/http_util.hpp"
#include "transport/websocket_client.hpp"
#include "transport/websocket_server.hpp"

using namespace lamplight::transport;
using namespace std::chrono_literals;

namespace {

/// Echoes every message back in the same frame type; counts closes.
struct echo_handler : ws_session_handler {
  std::shared_ptr<ws_connection> conn;
  std::atomic<int>* closes;
  echo_handler(std::shared_ptr<ws_connection> c, std::atomic<int>* n)
    : conn(std::move(c)), closes(n) {}
  void on_message(std::string data, bool binary) override {
    if (data == "close-me")
      return conn->close(4000, "asked to");
    conn->send(std::move(data), binary);
  }
  void on_close() override { ++*closes; }
};

struct server_fixture {
  lamplight::test::temp_dir dir;
  std::atomic<int> closes{0};
  websocket_server_config cfg = [] {
    websocket_server_config c;
    c.max_message_bytes = 64 * 1024;
    c.max_body_bytes = 1024;
    return c;
  }();
  std::unique_ptr<websocket_server> server;
  uint16_t port = 0;

  explicit server_fixture(std::chrono::seconds idle = 20s) {
    cfg.ws_idle_timeout = idle;
    std::ofstream(dir.path / "index.html") << "<h1>hi</h1>";
    std::filesystem::create_directories(dir.path / "sub");
    std::ofstream(dir.path / "sub" / "app.js") << "let x = 1;";
    server = std::make_unique<websocket_server>(cfg);
    auto router = std::make_shared<http_router>();
    router->add("GET", "/echo-query", [](const http_request& r) {
      std::string out;
      for (auto& [k, v] : r.query)
        out += k + "=" + v + ";";
      return http_response{200, "text/plain", out, {}};
    });
    router->add("POST", "/size", [](const http_request& r) {
      return http_response{200, "text/plain", std::to_string(r.body.size()), {}};
    });
    router->add_static("/", dir.path);
    server->set_http_handler([router](const http_request& r) { return router->handle(r); });
    server->set_ws_handler([this](std::shared_ptr<ws_connection> c,
                                  const http_request& r) -> std::shared_ptr<ws_session_handler> {
      if (r.path != "/ws")
        return nullptr;
      return std::make_shared<echo_handler>(std::move(c), &closes);
    });
    port = server->start();
  }

  /// Waits (bounded) until `n` connections have been reported closed.
  bool closes_reach(int n) {
    for (int i = 0; i < 500 && closes.load() < n; ++i)
      std::this_thread::sleep_for(10ms);  // polling a counter, bounded
    return closes.load() >= n;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(websocket_server_tests, server_fixture)

BOOST_AUTO_TEST_CASE(http_static_files_routes_and_errors) {
  auto r = http_get("127.0.0.1", port, "/");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "<h1>hi</h1>");
  BOOST_TEST(r.content_type.find("text/html") == 0u);
  r = http_get("127.0.0.1", port, "/sub/app.js");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.content_type.find("text/javascript") == 0u);
  BOOST_TEST(http_get("127.0.0.1", port, "/missing.html").status == 404);
  BOOST_TEST(http_get("127.0.0.1", port, "/sub/../../etc/passwd").status == 404);
  BOOST_TEST(http_get("127.0.0.1", port, "/%2e%2e/%2e%2e/etc/passwd").status == 404);
  BOOST_TEST(http_request_once("127.0.0.1", port, "DELETE", "/index.html").status == 405);
  BOOST_TEST(http_get("127.0.0.1", port, "/size").status == 405);
  r = http_get("127.0.0.1", port, "/echo-query?a=1&b=x%20y&c=%zz+z");
  BOOST_TEST(r.body == "a=1;b=x y;c=%zz z;");
  BOOST_TEST(http_request_once("127.0.0.1", port, "POST", "/size", std::string(100, 'x')).body
             == "100");
  BOOST_TEST(
    http_request_once("127.0.0.1", port, "POST", "/size", std::string(5000, 'x')).status == 413);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_two_requests_on_one_connection) {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket s(ioc);
  s.connect({net::ip::make_address("127.0.0.1"), port});
  std::string two = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/app.js HTTP/1.1\r\nHost: x\r\n"
                    "Connection: close\r\n\r\n";
  net::write(s, net::buffer(two));
  std::string all;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    auto n = s.read_some(net::buffer(buf), ec);
    if (ec)
      break;
    all.append(buf, n);
  }
  BOOST_TEST(all.find("<h1>hi</h1>") != std::string::npos);
  BOOST_TEST(all.find("let x = 1;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(websocket_echo_keeps_frame_types_and_order) {
  websocket_client c;
  BOOST_REQUIRE_MESSAGE(c.connect("127.0.0.1", port, "/ws"), c.error());
  BOOST_REQUIRE(c.send_text("hello"));
  BOOST_REQUIRE(c.send_binary(std::string("\x00\x01\x02", 3)));
  auto a = c.read(5s);
  auto b = c.read(5s);
  BOOST_REQUIRE(a && b);
  BOOST_TEST(a->data == "hello");
  BOOST_TEST(!a->binary);
  BOOST_TEST(b->data == std::string("\x00\x01\x02", 3));
  BOOST_TEST(b->binary);
  for (int i = 0; i < 1000; ++i)
    BOOST_REQUIRE(c.send_text(std::to_string(i)));
  for (int i = 0; i < 1000; ++i) {
    auto m = c.read(5s);
    BOOST_REQUIRE(m);
    BOOST_REQUIRE(m->data == std::to_string(i));
  }
  BOOST_TEST(!c.read(50ms).has_value());
}

BOOST_AUTO_TEST_CASE(refused_paths_and_server_side_close) {
  websocket_client refused;
  BOOST_TEST(!refused.connect("127.0.0.1", port, "/not-ws"));
  websocket_client c;
  BOOST_REQUIRE(c.connect("127.0.0.1", port, "/ws"));
  c.send_text("close-me");
  BOOST_TEST(!c.read(5s).has_value());
  BOOST_TEST(c.closed());
  BOOST_TEST(c.close_code() == 4000);
  BOOST_TEST(closes_reach(1));
}

BOOST_AUTO_TEST_CASE(oversized_message_closes_with_1009) {
  websocket_client c;
  BOOST_REQUIRE(c.connect("127.0.0.1", port, "/ws"));
  c.send_binary(std::string(100 * 1024, 'x'));
  BOOST_TEST(!c.read(5s).has_value());
  BOOST_TEST(c.closed());
  BOOST_TEST(c.close_code() == 1009);
}

// A peer still sending when the server refuses its message must get the
// close frame, not a reset: the server reads and drops the rest until the
// peer's FIN. A raw socket makes the order exact: the 1009 arrives while 80
// KiB of the message are still unsent, then the client sends them, half
// closes and must find the connection alive for all of it.
BOOST_AUTO_TEST_CASE(a_refused_sender_finishes_its_message_without_a_reset) {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket s(ioc);
  s.connect({net::ip::make_address("127.0.0.1"), port});
  net::write(s, net::buffer(std::string("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                        "Sec-WebSocket-Version: 13\r\n\r\n")));
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos)
    in.append(buf, s.read_some(net::buffer(buf)));
  BOOST_REQUIRE(in.rfind("HTTP/1.1 101", 0) == 0);
  in.erase(0, in.find("\r\n\r\n") + 4);

  // A binary frame of 100 KiB, masked with a zero key (RFC 6455 section 5.2).
  const std::size_t total = 100 * 1024;
  std::string header = {'\x82', '\xff'};
  for (int shift = 56; shift >= 0; shift -= 8)
    header += static_cast<char>((total >> shift) & 0xff);
  header += std::string(4, '\0');
  net::write(s, net::buffer(header + std::string(20 * 1024, 'x')));

  // The server's close frame: 0x88, length, code 1009 big-endian.
  while (in.size() < 4)
    in.append(buf, s.read_some(net::buffer(buf)));
  BOOST_TEST(static_cast<uint8_t>(in[0]) == 0x88);
  BOOST_TEST(((static_cast<uint8_t>(in[2]) << 8) | static_cast<uint8_t>(in[3])) == 1009);

  boost::system::error_code ec;
  net::write(s, net::buffer(std::string(total - 20 * 1024, 'x')), ec);
  BOOST_TEST(!ec, "the rest of the message: " << ec.message());
  s.shutdown(net::ip::tcp::socket::shutdown_send, ec);
  // Beyond the close frame there is only the server's FIN.
  for (;;) {
    s.read_some(net::buffer(buf), ec);
    if (ec)
      break;
  }
  BOOST_TEST(ec == net::error::eof, ec.message());
  BOOST_TEST(closes_reach(1));
}

BOOST_AUTO_TEST_CASE(garbage_and_vanishing_clients_do_not_hurt) {
  namespace net = boost::asio;
  {
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(s, net::buffer(std::string("\x16\x03\x01\xff\xff garbage\r\n\r\n")));
  }
  {
    websocket_client gone;
    BOOST_REQUIRE(gone.connect("127.0.0.1", port, "/ws"));
    gone.abort();
  }
  BOOST_TEST(closes_reach(1));
  websocket_client c;
  BOOST_REQUIRE(c.connect("127.0.0.1", port, "/ws"));
  BOOST_REQUIRE(c.send_text("still here"));
  auto m = c.read(5s);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->data == "still here");
}

BOOST_AUTO_TEST_CASE(concurrent_sends_arrive_intact) {
  std::shared_ptr<ws_connection> conn;
  std::mutex mtx;
  std::condition_variable cv;
  struct capture : ws_session_handler {
    void on_message(std::string, bool) override {}
    void on_close() override {}
  };
  websocket_server srv(cfg);
  srv.set_ws_handler([&](std::shared_ptr<ws_connection> c, const http_request&) {
    std::lock_guard<std::mutex> guard(mtx);
    conn = c;
    cv.notify_all();
    return std::make_shared<capture>();
  });
  auto p = srv.start();
  websocket_client c;
  BOOST_REQUIRE(c.connect("127.0.0.1", p, "/x"));
  {
    std::unique_lock<std::mutex> guard(mtx);
    BOOST_REQUIRE(cv.wait_for(guard, 5s, [&] { return conn != nullptr; }));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i)
        conn->send(std::to_string(t) + ":" + std::to_string(i), false);
    });
  for (auto& t : threads)
    t.join();
  std::vector<int> next(4, 0);
  for (int k = 0; k < 1000; ++k) {
    auto m = c.read(5s);
    BOOST_REQUIRE(m);
    auto colon = m->data.find(':');
    auto t = std::stoi(m->data.substr(0, colon));
    // Per sending thread, order is kept.
    BOOST_REQUIRE(std::stoi(m->data.substr(colon + 1)) == next[static_cast<std::size_t>(t)]);
    ++next[static_cast<std::size_t>(t)];
  }
}

BOOST_AUTO_TEST_CASE(stop_closes_open_connections) {
  websocket_client a, b;
  BOOST_REQUIRE(a.connect("127.0.0.1", port, "/ws"));
  BOOST_REQUIRE(b.connect("127.0.0.1", port, "/ws"));
  server->stop();
  BOOST_TEST(closes.load() == 2);
  BOOST_TEST(!a.read(2s).has_value());
  BOOST_TEST(a.closed());
  BOOST_TEST(a.close_code() == 1001);
  server->stop();  // idempotent
}

BOOST_AUTO_TEST_CASE(percent_decoding) {
  BOOST_TEST(percent_decode("a%2Fb+c", false) == "a/b+c");
  BOOST_TEST(percent_decode("a%2Fb+c", true) == "a/b c");
  BOOST_TEST(percent_decode("%", true) == "%");
  BOOST_TEST(percent_encode("Ms Li/é&x=1~") == "Ms%20Li%2F%C3%A9%26x%3D1~");
  BOOST_TEST(percent_decode(percent_encode("a b+c%"), true) == "a b+c%");
  BOOST_TEST(percent_decode("%4", true) == "%4");
  auto q = parse_query("x=1&x=2&&y&z=%41");
  BOOST_TEST(q["x"] == "1");
  BOOST_TEST(q.count("y") == 1u);
  BOOST_TEST(q["z"] == "A");
}

BOOST_AUTO_TEST_SUITE_END()

// Its own server (a 1 s idle timeout), not the suite's.
BOOST_AUTO_TEST_SUITE(websocket_server_idle_tests)

// The server pings an idle connection and drops it if nothing comes back
// within its idle timeout. A client answers pings only while it runs: one
// that polls between its own calls stays, one that never does is dropped.
BOOST_AUTO_TEST_CASE(a_polled_client_answers_pings_and_stays_an_idle_one_is_dropped) {
  server_fixture short_idle(1s);
  websocket_client quiet, polled;
  BOOST_REQUIRE(quiet.connect("127.0.0.1", short_idle.port, "/ws"));
  BOOST_REQUIRE(polled.connect("127.0.0.1", short_idle.port, "/ws"));
  for (int i = 0; i < 200 && short_idle.closes.load() < 1; ++i) {
    polled.poll();
    std::this_thread::sleep_for(25ms);  // the caller's own work between polls; bounded
  }
  BOOST_TEST(short_idle.closes.load() == 1);
  BOOST_REQUIRE(polled.send_text("still here"));
  auto m = polled.read(5s);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->data == "still here");
  BOOST_TEST(!quiet.read(5s).has_value());
  BOOST_TEST(quiet.closed());
}

BOOST_AUTO_TEST_SUITE_END()
