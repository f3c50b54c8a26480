#include "transport/http_client.hpp"

#include <cctype>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace lamplight::transport {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using protocol::errc;
using steady = std::chrono::steady_clock;

/// Longer URLs are not URLs anyone means to call.
constexpr std::size_t max_url_bytes = 8192;
constexpr std::size_t max_host_bytes = 253;
constexpr std::size_t max_response_header_bytes = 16 * 1024;

protocol::error bad_url(const std::string& why) {
  return {errc::bad_request, "URL: " + why};
}

bool printable_ascii(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

/// A DNS name as a URL may carry it: letters, digits, '-', '_' and dots
/// between non-empty labels (a trailing dot, the root, is allowed).
bool valid_host_name(const std::string& host) {
  if (host.empty() || host.size() > max_host_bytes || host.front() == '.'
      || host.find("..") != std::string::npos)
    return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5)
    return std::nullopt;
  uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port == 0 || port > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(port);
}

/// Runs `ioc` until the operation `start` begins completes; every stream
/// operation has the request's deadline as its expiry, so this ends by then.
template <class Start>
beast::error_code await(net::io_context& ioc, Start start) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  while (!result && ioc.run_one() > 0) {
  }
  return result.value_or(net::error::operation_aborted);
}

protocol::error network_error(const std::string& stage, const beast::error_code& ec,
                              std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout || ec == net::error::timed_out)
    return {errc::timeout, stage + ": no answer within " + std::to_string(timeout.count()) + " ms"};
  return {errc::unavailable, stage + ": " + ec.message()};
}

/// The TLS client context: the system's CA store is loaded once and shared
/// (an SSL_CTX is safe to share once set up); a private CA file gets a
/// context of its own per call.
protocol::result<std::shared_ptr<ssl::context>> tls_context(const std::string& ca_file) {
  auto make = [&ca_file]() -> protocol::result<std::shared_ptr<ssl::context>> {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (ca_file.empty())
      ctx->set_default_verify_paths(ec);
    else
      ctx->load_verify_file(ca_file, ec);
    if (ec)
      return protocol::error{errc::internal, "TLS: cannot load trusted certificates: " + ec.message()};
    return ctx;
  };
  if (!ca_file.empty())
    return make();
  static std::mutex mtx;
  static std::shared_ptr<ssl::context> system_ctx;
  std::lock_guard<std::mutex> guard(mtx);
  if (!system_ctx) {
    auto ctx = make();
    if (!ctx)
      return ctx;
    system_ctx = *ctx;
  }
  return system_ctx;
}

/// Resolves the URL's host (an address literal needs no DNS) and keeps the
/// addresses `allow` accepts.
protocol::result<std::vector<tcp::endpoint>> resolve(net::io_context& ioc, const http_url& url,
                                                     const http_post_options& options,
                                                     steady::time_point deadline) {
  std::vector<tcp::endpoint> found;
  beast::error_code ec;
  auto literal = net::ip::make_address(url.host, ec);
  if (!ec) {
    found.emplace_back(literal, url.port);
  } else {
    tcp::resolver resolver(ioc);
    net::steady_timer timer(ioc, deadline);
    timer.async_wait([&resolver](beast::error_code e) {
      if (!e)
        resolver.cancel();
    });
    tcp::resolver::results_type results;
    ec = await(ioc, [&](auto handler) {
      resolver.async_resolve(url.host, std::to_string(url.port), tcp::resolver::numeric_service,
                             [&results, handler](beast::error_code e,
                                                 tcp::resolver::results_type r) mutable {
                               results = std::move(r);
                               handler(e);
                             });
    });
    timer.cancel();
    if (steady::now() >= deadline)
      return network_error("resolve " + url.host, beast::error::timeout, options.timeout);
    if (ec)
      return network_error("resolve " + url.host, ec, options.timeout);
    for (const auto& entry : results)
      found.push_back(entry.endpoint());
  }
  std::vector<tcp::endpoint> allowed;
  std::string refused;
  for (const auto& ep : found) {
    if (!options.allow_address || options.allow_address(ep.address()))
      allowed.push_back(ep);
    else if (refused.empty())
      refused = ep.address().to_string();
  }
  if (allowed.empty() && !refused.empty())
    return protocol::error{errc::permission_denied,
                           "address " + refused + " of " + url.host + " is not allowed"};
  if (allowed.empty())
    return protocol::error{errc::unavailable, "resolve " + url.host + ": no address"};
  return allowed;
}

http::request<http::string_body> make_request(const http_url& url, const http_headers& headers,
                                              const std::string& body) {
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  for (const auto& [name, value] : headers)
    req.set(name, value);
  // Framing is ours: one request per connection, its length exact.
  req.set(http::field::host, url.authority());
  req.set(http::field::connection, "close");
  req.erase(http::field::transfer_encoding);
  req.body() = body;
  req.prepare_payload();
  return req;
}

/// Writes the request and reads the answer on a connected (and, for
/// https, handshaken) stream.
template <class Stream>
protocol::result<http_reply> exchange(net::io_context& ioc, Stream& stream,
                                      http::request<http::string_body>& req,
                                      const http_post_options& options,
                                      steady::time_point deadline) {
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto ec = await(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
  if (ec)
    return network_error("send request", ec, options.timeout);
  http::response_parser<http::string_body> parser;
  parser.header_limit(max_response_header_bytes);
  parser.body_limit(options.max_response_bytes);
  beast::flat_buffer buffer;
  beast::get_lowest_layer(stream).expires_at(deadline);
  ec = await(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  http_reply reply;
  if (ec == http::error::body_limit) {
    reply.truncated = true;
  } else if (ec == ssl::error::stream_truncated && parser.is_header_done()) {
    // A TLS peer that closed without close_notify after its answer: the
    // status is what matters here.
  } else if (ec) {
    return network_error("read answer", ec, options.timeout);
  }
  if (!parser.is_header_done())
    return protocol::error{errc::unavailable, "read answer: incomplete"};
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = std::move(parser.get().body());
  if (reply.body.size() > options.max_response_bytes) {
    reply.body.resize(options.max_response_bytes);
    reply.truncated = true;
  }
  return reply;
}

} // namespace

std::string http_url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80))
    out += ":" + std::to_string(port);
  return out;
}

protocol::result<http_url> parse_http_url(std::string_view url) {
  if (url.size() > max_url_bytes)
    return bad_url("longer than " + std::to_string(max_url_bytes) + " bytes");
  for (char c : url)
    if (!printable_ascii(c))
      return bad_url("whitespace, control or non-ASCII bytes (percent-encode them)");
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return bad_url("not absolute (scheme://host/...)");
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  http_url out;
  if (scheme == "https")
    out.tls = true;
  else if (scheme != "http")
    return bad_url("scheme must be http or https");
  auto rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, end);
  auto tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return bad_url("credentials (user:password@) are not accepted in a URL");
  if (auto hash = tail.find('#'); hash != std::string_view::npos)
    tail = tail.substr(0, hash);
  out.target = tail.empty() ? "/" : tail.front() == '?' ? "/" + std::string(tail) : std::string(tail);

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return bad_url("unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    beast::error_code ec;
    net::ip::make_address_v6(out.host, ec);
    if (ec)
      return bad_url("malformed IPv6 address");
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return bad_url("malformed host");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    out.host = std::string(authority);
    if (!valid_host_name(out.host))
      return bad_url("malformed host");
  }
  for (char& c : out.host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (has_port) {
    auto port = parse_port(port_text);
    if (!port)
      return bad_url("port must be 1..65535");
    out.port = *port;
  } else {
    out.port = out.tls ? 443 : 80;
  }
  return out;
}

protocol::result<http_reply> http_post(const std::string& url_text, const http_headers& headers,
                                       const std::string& body, const http_post_options& options) {
  auto url = parse_http_url(url_text);
  if (!url)
    return url.err();
  for (const auto& [name, value] : headers)
    for (char c : name + value)
      if (c == '\r' || c == '\n' || c == '\0')
        return protocol::error{errc::bad_request, "header " + name + ": line breaks or NUL"};
  auto deadline = steady::now() + options.timeout;
  net::io_context ioc;
  auto endpoints = resolve(ioc, *url, options, deadline);
  if (!endpoints)
    return endpoints.err();
  auto req = make_request(*url, headers, body);
  auto connect = [&](beast::tcp_stream& tcp_layer) {
    tcp_layer.expires_at(deadline);
    auto ec = await(ioc, [&](auto handler) { tcp_layer.async_connect(*endpoints, handler); });
    return ec ? network_error("connect to " + url->authority(), ec, options.timeout)
              : protocol::error{};
  };
  if (!url->tls) {
    beast::tcp_stream stream(ioc);
    if (auto err = connect(stream); err.code != errc::none)
      return err;
    return exchange(ioc, stream, req, options, deadline);
  }

  auto ctx = tls_context(options.ca_file);
  if (!ctx)
    return ctx.err();
  beast::ssl_stream<beast::tcp_stream> stream(ioc, **ctx);
  SSL* ssl_handle = stream.native_handle();
  beast::error_code literal_ec;
  net::ip::make_address(url->host, literal_ec);
  bool is_literal = !literal_ec;
  // The certificate must name the URL's host: its DNS name (SNI tells the
  // server which we want) or its IP address.
  if (is_literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url->host.c_str()) != 1
                 : (SSL_set_tlsext_host_name(ssl_handle, url->host.c_str()) != 1
                    || SSL_set1_host(ssl_handle, url->host.c_str()) != 1))
    return protocol::error{errc::internal, "TLS: cannot set the expected host name"};
  SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (auto err = connect(beast::get_lowest_layer(stream)); err.code != errc::none)
    return err;
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto ec = await(ioc, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, handler);
  });
  if (ec) {
    auto err = network_error("TLS handshake with " + url->authority(), ec, options.timeout);
    long verify = SSL_get_verify_result(ssl_handle);
    if (verify != X509_V_OK)
      err.message += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
    return err;
  }
  return exchange(ioc, stream, req, options, deadline);
}

} // namespace lamplight::transport
