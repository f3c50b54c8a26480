// transport/http_client: URL parsing, and POSTs to real receivers on
// loopback (plain HTTP through websocket_server, a silent one, and a TLS
// one with a certificate made here).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/support/temp_dir.hpp"
#include "transport/http_client.hpp"
#include "transport/websocket_server.hpp"

using namespace lamplight::transport;
using lamplight::protocol::errc;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

/// Accepts connections and never answers; holds them until destroyed.
struct silent_receiver {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  std::vector<std::unique_ptr<tcp::socket>> held;
  std::atomic<int> accepted{0};
  std::thread thread;

  silent_receiver() {
    accept();
    thread = std::thread([this] { ioc.run(); });
  }
  ~silent_receiver() {
    ioc.stop();
    thread.join();
  }
  void accept() {
    auto sock = std::make_unique<tcp::socket>(ioc);
    auto* raw = sock.get();
    acceptor.async_accept(*raw, [this, s = std::move(sock)](beast::error_code ec) mutable {
      if (ec)
        return;
      ++accepted;
      held.push_back(std::move(s));
      accept();
    });
  }
  uint16_t port() const { return acceptor.local_endpoint().port(); }
};

/// An HTTP receiver that records what it got.
struct recording_receiver {
  std::mutex mtx;
  std::vector<http_request> got;
  websocket_server server{websocket_server_config{}};
  uint16_t port = 0;

  explicit recording_receiver(http_handler answer) {
    server.set_http_handler([this, answer](const http_request& r) {
      {
        std::lock_guard<std::mutex> guard(mtx);
        got.push_back(r);
      }
      return answer(r);
    });
    port = server.start();
  }
  ~recording_receiver() { server.stop(); }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

/// A self-signed certificate and its key, as PEM files, naming `san`
/// (e.g. "IP:127.0.0.1").
struct test_certificate {
  std::string cert_file;
  std::string key_file;

  test_certificate(const std::filesystem::path& dir, const std::string& san) {
    cert_file = (dir / "cert.pem").string();
    key_file = (dir / "key.pem").string();
    EVP_PKEY* key = EVP_EC_gen("P-256");
    BOOST_REQUIRE(key);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("lamplight test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    BOOST_REQUIRE(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    BOOST_REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    FILE* f = std::fopen(cert_file.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key_file.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
  }
};

/// An https receiver answering 200 "tls ok" to each request, one
/// connection at a time, until destroyed.
struct tls_receiver {
  net::io_context ioc;
  net::ssl::context ctx{net::ssl::context::tls_server};
  tcp::acceptor acceptor{ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  std::atomic<bool> stopping{false};
  std::atomic<int> answered{0};
  std::thread thread;

  explicit tls_receiver(const test_certificate& cert) {
    ctx.use_certificate_file(cert.cert_file, net::ssl::context::pem);
    ctx.use_private_key_file(cert.key_file, net::ssl::context::pem);
    thread = std::thread([this] { serve(); });
  }
  ~tls_receiver() {
    stopping = true;
    // Wakes the blocking accept.
    tcp::socket poke(ioc);
    beast::error_code ec;
    poke.connect(acceptor.local_endpoint(), ec);
    thread.join();
  }
  void serve() {
    for (;;) {
      tcp::socket sock(ioc);
      beast::error_code ec;
      acceptor.accept(sock, ec);
      if (stopping || ec)
        return;
      beast::ssl_stream<tcp::socket> stream(std::move(sock), ctx);
      stream.handshake(net::ssl::stream_base::server, ec);
      if (ec)
        continue;  // the client refused our certificate
      beast::flat_buffer buf;
      beast::http::request<beast::http::string_body> req;
      beast::http::read(stream, buf, req, ec);
      if (ec)
        continue;
      beast::http::response<beast::http::string_body> res{beast::http::status::ok, 11};
      res.body() = "tls ok";
      res.prepare_payload();
      beast::http::write(stream, res, ec);
      ++answered;
      stream.shutdown(ec);
    }
  }
  uint16_t port() const { return acceptor.local_endpoint().port(); }
};

http_post_options with_timeout(std::chrono::milliseconds t) {
  http_post_options o;
  o.timeout = t;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_client)

BOOST_AUTO_TEST_CASE(urls_are_taken_apart) {
  auto a = parse_http_url("http://example.com");
  BOOST_REQUIRE(bool(a));
  BOOST_TEST(!a->tls);
  BOOST_TEST(a->host == "example.com");
  BOOST_TEST(a->port == 80);
  BOOST_TEST(a->target == "/");
  BOOST_TEST(a->authority() == "example.com");

  auto b = parse_http_url("HTTPS://Hooks.Example.COM:8443/a/b?x=1&y=%20#frag");
  BOOST_REQUIRE(bool(b));
  BOOST_TEST(b->tls);
  BOOST_TEST(b->host == "hooks.example.com");
  BOOST_TEST(b->port == 8443);
  BOOST_TEST(b->target == "/a/b?x=1&y=%20");
  BOOST_TEST(b->authority() == "hooks.example.com:8443");

  auto c = parse_http_url("http://[::1]:9000/p");
  BOOST_REQUIRE(bool(c));
  BOOST_TEST(c->host == "::1");
  BOOST_TEST(c->port == 9000);
  BOOST_TEST(c->authority() == "[::1]:9000");

  auto d = parse_http_url("https://10.0.0.1?q=1");
  BOOST_REQUIRE(bool(d));
  BOOST_TEST(d->port == 443);
  BOOST_TEST(d->target == "/?q=1");
  BOOST_TEST(d->authority() == "10.0.0.1");
}

BOOST_AUTO_TEST_CASE(bad_urls_are_refused) {
  for (const std::string& bad : std::vector<std::string>{
        "", "example.com/hook", "//example.com/", "ftp://example.com/", "file:///etc/passwd",
        "javascript://x", "http://", "http:///path", "http://user:pw@example.com/",
        "http://user@example.com/", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:/", "http://example.com:8o/", "http://exa mple.com/",
        "http://example.com/a b", "http://example.com/\r\nX-Injected: 1", "http://[::1/",
        "http://[zz::1]/", "http://[::1]x/", "http://a..b/", "http://.a/", "http://ex%41mple.com/",
        "http://ex\xc3\xa4mple.com/", std::string("http://a\0b/", 11), std::string(9000, 'a')}) {
    auto r = parse_http_url(bad);
    BOOST_TEST(!r, "accepted: " << bad);
    if (!r)
      BOOST_TEST((r.err().code == errc::bad_request));
  }
  auto creds = parse_http_url("https://admin:hunter2@example.com/");
  BOOST_REQUIRE(!creds);
  BOOST_TEST(creds.err().message.find("credentials") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_post_reaches_the_receiver_and_its_answer_comes_back) {
  recording_receiver rx([](const http_request&) {
    http_response res;
    res.status = 201;
    res.body = "created";
    return res;
  });
  auto r = http_post(rx.url("/hook?x=1"), {{"Content-Type", "application/json"}, {"X-Test", "yes"}},
                     R"({"a":1})", with_timeout(5s));
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_TEST(r->status == 201);
  BOOST_TEST(r->body == "created");
  BOOST_TEST(!r->truncated);
  std::lock_guard<std::mutex> guard(rx.mtx);
  BOOST_REQUIRE(rx.got.size() == 1u);
  const auto& got = rx.got[0];
  BOOST_TEST(got.method == "POST");
  BOOST_TEST(got.target == "/hook?x=1");
  BOOST_TEST(got.body == R"({"a":1})");
  BOOST_TEST(got.header("content-type") == "application/json");
  BOOST_TEST(got.header("x-test") == "yes");
  BOOST_TEST(got.header("host") == "127.0.0.1:" + std::to_string(rx.port));
}

BOOST_AUTO_TEST_CASE(any_status_is_an_answer_and_a_long_body_is_cut) {
  recording_receiver rx([](const http_request& r) {
    http_response res;
    res.status = r.path == "/big" ? 200 : 503;
    res.body = r.path == "/big" ? std::string(100 * 1024, 'x') : "later";
    return res;
  });
  auto down = http_post(rx.url("/down"), {}, "{}", with_timeout(5s));
  BOOST_REQUIRE(bool(down));
  BOOST_TEST(down->status == 503);
  BOOST_TEST(down->body == "later");

  auto opts = with_timeout(5s);
  opts.max_response_bytes = 1024;
  auto big = http_post(rx.url("/big"), {}, "{}", opts);
  BOOST_REQUIRE_MESSAGE(bool(big), (big ? "" : big.err().message));
  BOOST_TEST(big->status == 200);
  BOOST_TEST(big->truncated);
  BOOST_TEST(big->body.size() <= 1024u);
}

BOOST_AUTO_TEST_CASE(a_silent_receiver_is_cut_by_the_deadline) {
  silent_receiver rx;
  auto started = std::chrono::steady_clock::now();
  auto r = http_post("http://127.0.0.1:" + std::to_string(rx.port()) + "/", {}, "{}",
                     with_timeout(300ms));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started).count();
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == errc::timeout), r.err().message);
  BOOST_TEST_MESSAGE(r.err().message);
  BOOST_TEST(took >= 250);
  BOOST_TEST(took < 3000);
}

BOOST_AUTO_TEST_CASE(a_closed_port_is_unavailable) {
  uint16_t port;
  {
    net::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  auto r = http_post("http://127.0.0.1:" + std::to_string(port) + "/", {}, "{}", with_timeout(2s));
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == errc::unavailable), r.err().message);
  BOOST_TEST(r.err().message.find("connect") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_address_predicate_refuses_before_anything_is_sent) {
  silent_receiver rx;
  auto opts = with_timeout(2s);
  std::vector<std::string> asked;
  opts.allow_address = [&asked](const net::ip::address& a) {
    asked.push_back(a.to_string());
    return !a.is_loopback();
  };
  auto r = http_post("http://127.0.0.1:" + std::to_string(rx.port()) + "/", {}, "{}", opts);
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == errc::permission_denied), r.err().message);
  BOOST_TEST(r.err().message.find("127.0.0.1") != std::string::npos);
  BOOST_TEST((asked == std::vector<std::string>{"127.0.0.1"}));
  BOOST_TEST(rx.accepted == 0);

  // A name is judged by what it resolves to.
  asked.clear();
  auto named = http_post("http://localhost:" + std::to_string(rx.port()) + "/", {}, "{}", opts);
  BOOST_REQUIRE(!named);
  BOOST_TEST((named.err().code == errc::permission_denied), named.err().message);
  BOOST_TEST(!asked.empty());
  BOOST_TEST(rx.accepted == 0);
}

BOOST_AUTO_TEST_CASE(headers_cannot_smuggle_lines) {
  recording_receiver rx([](const http_request&) { return http_response{}; });
  auto r = http_post(rx.url(), {{"X-A", "1\r\nX-B: 2"}}, "{}", with_timeout(2s));
  BOOST_REQUIRE(!r);
  BOOST_TEST((r.err().code == errc::bad_request));
  std::lock_guard<std::mutex> guard(rx.mtx);
  BOOST_TEST(rx.got.empty());
}

BOOST_AUTO_TEST_CASE(https_verifies_the_chain_and_the_host) {
  lamplight::test::temp_dir dir;
  test_certificate cert(dir.path, "IP:127.0.0.1");
  tls_receiver rx(cert);
  auto port = std::to_string(rx.port());

  auto trusted = with_timeout(5s);
  trusted.ca_file = cert.cert_file;
  auto ok = http_post("https://127.0.0.1:" + port + "/hook", {}, "{}", trusted);
  BOOST_REQUIRE_MESSAGE(bool(ok), (ok ? "" : ok.err().message));
  BOOST_TEST(ok->status == 200);
  BOOST_TEST(ok->body == "tls ok");

  // The system's CA store does not know a self-signed certificate.
  auto unknown = http_post("https://127.0.0.1:" + port + "/hook", {}, "{}", with_timeout(5s));
  BOOST_REQUIRE(!unknown);
  BOOST_TEST((unknown.err().code == errc::unavailable), unknown.err().message);
  BOOST_TEST(unknown.err().message.find("TLS") != std::string::npos, unknown.err().message);
  BOOST_TEST_MESSAGE(unknown.err().message);

  // Trusted, but issued for 127.0.0.1, not for the name asked for.
  auto wrong_name = http_post("https://localhost:" + port + "/hook", {}, "{}", trusted);
  BOOST_REQUIRE(!wrong_name);
  BOOST_TEST((wrong_name.err().code == errc::unavailable), wrong_name.err().message);
  BOOST_TEST_MESSAGE(wrong_name.err().message);
  BOOST_TEST(rx.answered == 1);
}

BOOST_AUTO_TEST_SUITE_END()
