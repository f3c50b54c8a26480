#pragma once

// A small blocking HTTP/1.1 client (Boost.Beast; OpenSSL for https) for the
// node's outgoing calls, webhooks first: one POST per connection, one
// deadline for the whole request, the peer's address checked before any
// byte is sent, the answer's body bounded.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "protocol/errc.hpp"

namespace lamplight::transport {

/// An absolute http or https URL taken apart.
struct http_url {
  bool tls = false;    // https
  std::string host;    // lower case; an IPv6 literal without its brackets
  uint16_t port = 0;   // 80 or 443 unless the URL names one
  std::string target;  // path and query as written, "/" if empty
  /// What the Host header carries: host, bracketed if IPv6, ":port" if not
  /// the scheme's default.
  std::string authority() const;
};

/// Parses "http[s]://host[:port][/path][?query][#fragment]" (the fragment is
/// dropped: it is never sent). Refused with errc::bad_request: other
/// schemes, user information ("user:pass@": credentials do not belong in a
/// URL), an empty or malformed host or port, whitespace, control or
/// non-ASCII bytes (they could not go on a request line as they are).
/// Pure: no DNS.
protocol::result<http_url> parse_http_url(std::string_view url);

using http_headers = std::vector<std::pair<std::string, std::string>>;

/// Decides whether the client may connect to a resolved address.
using address_filter = std::function<bool(const boost::asio::ip::address&)>;

struct http_post_options {
  /// Resolve, connect, TLS handshake, write and read together.
  std::chrono::milliseconds timeout{5000};
  /// More of the answer's body is not read (the answer is still returned,
  /// with `truncated` set).
  std::size_t max_response_bytes = 64 * 1024;
  /// Empty: every address is allowed. Otherwise only the resolved
  /// addresses it accepts are tried; none: errc::permission_denied and
  /// nothing is sent. Checked on the addresses actually connected to, so a
  /// name that resolves differently the second time (DNS rebinding) cannot
  /// slip past a check done earlier on the name.
  address_filter allow_address;
  /// Empty: https peers are verified against the system's CA store. A PEM
  /// file: verified against its certificates only (tests, private CAs).
  std::string ca_file;
};

struct http_reply {
  int status = 0;
  std::string body;  // at most max_response_bytes
  bool truncated = false;
};

/// POSTs `body` to `url` with `headers` (Host, Content-Length, Connection
/// are set here) and returns the status and body of the answer, whatever
/// the status (redirects are not followed: the caller decides). https
/// verifies the peer's certificate chain and that it names the URL's host.
/// Errors: bad_request (the URL), permission_denied (no allowed address),
/// timeout (the deadline passed), unavailable (resolution, connection, TLS
/// or protocol failure; the message says which).
///
/// The deadline covers everything but a DNS lookup stuck in the system's
/// resolver, which ends by its own timeout (resolv.conf).
protocol::result<http_reply> http_post(const std::string& url, const http_headers& headers,
                                       const std::string& body, const http_post_options& options);

} // namespace lamplight::transport
