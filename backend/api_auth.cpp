// The LL1-HMAC-SHA256 request signature of the server API: parsing the
// Authorization value, signing (for clients) and verifying with replay
// protection (for the node). The scheme is specified in api_auth.hpp.
#include "backend/api_auth.hpp"

#include "protocol/digest.hpp"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "backend/random_id.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
using protocol::hmac_sha256_hex;
using protocol::sha256_hex;

constexpr std::size_t kid_bytes = 18;  // "k_" + 16 hex digits (tenant_registry)
constexpr std::size_t max_ts_digits = 10;
constexpr int64_t max_ts = 9'999'999'999;
constexpr std::size_t min_nonce_bytes = 16;
constexpr std::size_t max_nonce_bytes = 64;
constexpr std::size_t sig_hex_bytes = 64;
constexpr std::size_t max_method_bytes = 20;

protocol::error unauthenticated(std::string why) {
  return {errc::unauthenticated, std::move(why)};
}

protocol::error malformed(const std::string& why) {
  return unauthenticated("malformed Authorization header: " + why);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_lower_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool valid_kid(std::string_view s) {
  return s.size() == kid_bytes && s.substr(0, 2) == "k_"
         && std::all_of(s.begin() + 2, s.end(), is_lower_hex);
}

bool valid_nonce(std::string_view s) {
  return s.size() >= min_nonce_bytes && s.size() <= max_nonce_bytes
         && std::all_of(s.begin(), s.end(),
                        [](char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '-'; });
}

bool valid_sig(std::string_view s) {
  return s.size() == sig_hex_bytes && std::all_of(s.begin(), s.end(), is_lower_hex);
}

/// Decimal without sign or leading zero, at most max_ts_digits: the text is
/// then the number's only spelling, so the string_to_sign can be rebuilt
/// from the number.
bool parse_ts(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > max_ts_digits || !std::all_of(s.begin(), s.end(), is_digit)
      || (s.size() > 1 && s[0] == '0'))
    return false;
  int64_t v = 0;
  for (char c : s)
    v = v * 10 + (c - '0');  // at most 10 digits: no overflow
  out = v;
  return true;
}

bool valid_method(std::string_view s) {
  return !s.empty() && s.size() <= max_method_bytes && std::all_of(s.begin(), s.end(), is_alpha);
}

/// RFC 9112 origin-form as a server receives it: "/" then visible ASCII.
/// Excluding spaces and controls (a "\n" above all) keeps the string_to_sign
/// unambiguous.
bool valid_target(std::string_view s) {
  return !s.empty() && s.size() <= max_api_target_bytes && s[0] == '/'
         && std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && upper(a) == upper(b);
}

/// The field a name stands for, in the order of api_authorization.
enum class field : uint8_t { kid, ts, nonce, sig, count };

bool field_of(std::string_view name, field& out) {
  static constexpr std::array<std::string_view, 4> names = {"kid", "ts", "nonce", "sig"};
  for (std::size_t i = 0; i < names.size(); ++i)
    if (name == names[i]) {
      out = static_cast<field>(i);
      return true;
    }
  return false;
}

const char* to_string(field f) {
  switch (f) {
    case field::kid:
      return "kid";
    case field::ts:
      return "ts";
    case field::nonce:
      return "nonce";
    case field::sig:
      return "sig";
    case field::count:
      break;
  }
  return "?";
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

} // namespace

bool operator==(const api_authorization& a, const api_authorization& b) {
  return a.kid == b.kid && a.timestamp == b.timestamp && a.nonce == b.nonce
         && a.signature == b.signature;
}

protocol::result<api_authorization> parse_api_authorization(std::string_view header) {
  if (header.size() > max_api_authorization_bytes)
    return malformed("longer than " + std::to_string(max_api_authorization_bytes) + " bytes");
  while (!header.empty() && is_ows(header.front()))
    header.remove_prefix(1);
  while (!header.empty() && is_ows(header.back()))
    header.remove_suffix(1);
  if (header.empty())
    return unauthenticated("missing Authorization header");
  auto sp = header.find(' ');
  if (sp == std::string_view::npos || !iequals(header.substr(0, sp), api_auth_scheme))
    return unauthenticated("Authorization scheme must be " + std::string(api_auth_scheme));
  auto rest = header.substr(sp + 1);

  api_authorization out;
  std::array<bool, static_cast<std::size_t>(field::count)> seen{};
  for (;;) {
    auto sep = rest.find(", ");
    auto param = rest.substr(0, sep);
    auto eq = param.find('=');
    field f{};
    if (eq == std::string_view::npos || !field_of(param.substr(0, eq), f))
      return malformed("expected kid=, ts=, nonce= and sig=, separated by \", \"");
    auto& once = seen[static_cast<std::size_t>(f)];
    if (once)
      return malformed(std::string("duplicate ") + to_string(f));
    once = true;
    auto value = param.substr(eq + 1);
    switch (f) {
      case field::kid:
        if (!valid_kid(value))
          return malformed("kid must be k_ and 16 lower-case hex digits");
        out.kid = std::string(value);
        break;
      case field::ts:
        if (!parse_ts(value, out.timestamp))
          return malformed("ts must be unix seconds: 1 to 10 digits, no leading zero");
        break;
      case field::nonce:
        if (!valid_nonce(value))
          return malformed("nonce must be 16 to 64 of A-Z a-z 0-9 _ -");
        out.nonce = std::string(value);
        break;
      case field::sig:
        if (!valid_sig(value))
          return malformed("sig must be 64 lower-case hex digits");
        out.signature = std::string(value);
        break;
      case field::count:
        break;
    }
    if (sep == std::string_view::npos)
      break;
    rest.remove_prefix(sep + 2);
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (!seen[i])
      return malformed(std::string("missing ") + to_string(static_cast<field>(i)));
  return out;
}

std::string api_string_to_sign(int64_t unix_seconds, std::string_view nonce,
                               std::string_view method, std::string_view target,
                               std::string_view body) {
  if (unix_seconds < 0 || unix_seconds > max_ts || !valid_nonce(nonce) || !valid_method(method)
      || !valid_target(target))
    return {};
  auto body_hash = sha256_hex(body);
  if (body_hash.empty())
    return {};
  std::string out;
  out.reserve(api_auth_scheme.size() + max_ts_digits + nonce.size() + method.size()
              + target.size() + body_hash.size() + 5);
  out.append(api_auth_scheme).append("\n");
  out.append(std::to_string(unix_seconds)).append("\n");
  out.append(nonce).append("\n");
  out.append(upper(method)).append("\n");
  out.append(target).append("\n");
  out.append(body_hash);
  return out;
}

std::string sign_api_request(std::string_view kid, std::string_view secret,
                             std::string_view method, std::string_view target,
                             std::string_view body, int64_t unix_seconds,
                             std::string_view nonce) {
  if (!valid_kid(kid))
    return {};
  auto to_sign = api_string_to_sign(unix_seconds, nonce, method, target, body);
  if (to_sign.empty())
    return {};
  auto sig = hmac_sha256_hex(secret, to_sign);
  if (sig.size() != sig_hex_bytes)
    return {};
  std::string out(api_auth_scheme);
  out.append(" kid=").append(kid);
  out.append(", ts=").append(std::to_string(unix_seconds));
  out.append(", nonce=").append(nonce);
  out.append(", sig=").append(sig);
  return out;
}

std::string make_api_nonce() {
  return random_hex(16);
}

api_request_verifier::api_request_verifier(protocol::key_lookup keys, clock now_s,
                                           int64_t window_s, std::size_t max_nonces,
                                           nonce_claim shared_nonces)
  : keys_(std::move(keys)),
    now_s_(now_s ? std::move(now_s) : clock{[] { return wall_ms() / 1000; }}),
    window_s_(std::clamp<int64_t>(window_s, 0, max_window_s)),
    max_nonces_(max_nonces),
    shared_nonces_(std::move(shared_nonces)) {}

std::size_t api_request_verifier::remembered_nonces() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return seen_.size();
}

void api_request_verifier::forget_expired_locked() {
  while (!expiries_.empty() && expiries_.top().last_s < high_water_s_) {
    // Copy the pointer out first: erasing from the set frees the key.
    const std::string* key = expiries_.top().key;
    expiries_.pop();
    seen_.erase(*key);
  }
}

protocol::result<api_caller> api_request_verifier::verify(std::string_view method,
                                                          std::string_view target,
                                                          std::string_view body,
                                                          std::string_view authorization) {
  auto auth = parse_api_authorization(authorization);
  if (!auth)
    return auth.err();
  if (!valid_method(method))
    return unauthenticated("request method cannot be signed: 1 to 20 letters");
  if (!valid_target(target))
    return unauthenticated("request target cannot be signed: origin-form of visible ASCII");

  // Clamped so that the arithmetic below cannot overflow whatever the clock
  // says (ts and the window are bounded already).
  const int64_t now = std::clamp<int64_t>(now_s_(), 0, 2 * max_ts);
  const int64_t ts = auth->timestamp;
  // Before the key lookup, which reads the database: a stale request costs
  // nothing. `ts - window < now` rather than `ts < now + window`: no overflow.
  if (ts - window_s_ > now)
    return unauthenticated("request timestamp is " + std::to_string(ts - now)
                           + " s ahead of the server clock (window "
                           + std::to_string(window_s_) + " s)");
  if (ts + window_s_ < now)
    return unauthenticated("request timestamp is " + std::to_string(now - ts)
                           + " s behind the server clock (window "
                           + std::to_string(window_s_) + " s)");

  auto key = keys_ ? keys_(auth->kid) : std::nullopt;
  if (!key)
    return unauthenticated("unknown or revoked API key " + auth->kid);
  if (key->secret.empty())
    return protocol::error{errc::internal, "API key " + auth->kid + " has no secret"};

  auto expected = hmac_sha256_hex(
    key->secret, api_string_to_sign(ts, auth->nonce, method, target, body));
  if (expected.size() != sig_hex_bytes
      || CRYPTO_memcmp(expected.data(), auth->signature.data(), sig_hex_bytes) != 0)
    return unauthenticated("bad signature");

  if (auto err = remember_nonce(auth->kid, auth->nonce, ts, now); err.code != errc::none)
    return err;
  // Then the cluster's: a copy sent to another node is refused there. The
  // local memory keeps it either way (it is as used here as there).
  if (shared_nonces_) {
    auto fresh = shared_nonces_(auth->kid, auth->nonce, (ts + window_s_) * 1000);
    if (!fresh)
      return protocol::error{errc::unavailable, "cannot check the request's nonce, retry later"};
    if (!*fresh)
      return unauthenticated("nonce already used with key " + auth->kid
                             + " (replay, seen by another node)");
  }
  return api_caller{std::move(key->tenant), std::move(auth->kid)};
}

protocol::error api_request_verifier::remember_nonce(const std::string& kid,
                                                     const std::string& nonce, int64_t ts,
                                                     int64_t now) {
  // Only now is the nonce remembered: check and insert under one lock, so of
  // two concurrent copies of a request exactly one gets through.
  std::lock_guard<std::mutex> guard(mtx_);
  high_water_s_ = std::max(high_water_s_, now);
  if (ts + window_s_ < high_water_s_)
    return unauthenticated("request timestamp is " + std::to_string(high_water_s_ - ts)
                           + " s behind the server clock (window "
                           + std::to_string(window_s_) + " s)");
  forget_expired_locked();
  std::string nonce_key = kid + ":" + nonce;
  if (seen_.count(nonce_key) != 0)
    return unauthenticated("nonce already used with key " + kid + " (replay)");
  if (seen_.size() >= max_nonces_)
    return {errc::unavailable, "too many requests, retry later"};
  auto it = seen_.insert(std::move(nonce_key)).first;
  try {
    expiries_.push(expiry{ts + window_s_, &*it});
  } catch (...) {
    seen_.erase(it);  // a nonce without an expiry would never be forgotten
    throw;
  }
  return {};
}

} // namespace lamplight::backend
