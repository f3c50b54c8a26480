// libFuzzer target for the server API's request authentication
// (backend/api_auth): arbitrary bytes as an Authorization value into the
// parser, then split as header \0 target \0 body \0 method into a verifier
// with a fixed key lookup and clock. It also signs the fuzzed method, target
// and body with a known key and checks the invariants: what sign_api_request
// writes parses back to its fields and verifies once, its replay and a
// tampered body are refused, and every refusal is a typed error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "backend/api_auth.hpp"

namespace {

using lamplight::backend::api_request_verifier;
using lamplight::protocol::errc;

constexpr int64_t fixed_now = 1'800'000'000;
const std::string kid_a = "k_0123456789abcdef";
const std::string secret_a = "2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c";

std::optional<lamplight::protocol::tenant_key> lookup(const std::string& kid) {
  if (kid == kid_a)
    return lamplight::protocol::tenant_key{"acme", secret_a};
  if (kid == "k_fedcba9876543210")
    return lamplight::protocol::tenant_key{"beta", "another-secret"};
  return std::nullopt;
}

void check(bool ok) {
  if (!ok)
    std::abort();
}

/// The next '\0'-terminated part of `in` (all of it if there is no '\0').
std::string_view next_part(std::string_view& in) {
  auto end = in.find('\0');
  auto part = in.substr(0, end);
  in.remove_prefix(end == std::string_view::npos ? in.size() : end + 1);
  return part;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  // The parser alone, on every byte of the input.
  auto whole = lamplight::backend::parse_api_authorization(in);
  check(whole || whole.err().code == errc::unauthenticated);

  std::string_view rest = in;
  auto header = next_part(rest);
  auto target = next_part(rest);
  auto body = next_part(rest);
  auto method = next_part(rest);
  if (method.empty())
    method = "POST";

  // A small nonce memory, so that the full-memory path is reached too.
  api_request_verifier verifier(lookup, [] { return fixed_now; }, 300, 2);
  auto r = verifier.verify(method, target, body, header);
  if (r)
    check(r->tenant == "acme" || r->tenant == "beta");
  else
    check(r.err().code == errc::unauthenticated || r.err().code == errc::unavailable);

  // Round trip with the fuzzed method, target and body; ts and nonce from
  // the header part so they vary too.
  int64_t ts = fixed_now - 400 + static_cast<int64_t>(header.size() % 800);
  std::string nonce = "nonce_" + std::to_string(header.size()) + "_0123456789";
  auto signed_header =
    lamplight::backend::sign_api_request(kid_a, secret_a, method, target, body, ts, nonce);
  if (signed_header.empty())
    return 0;  // the method or target cannot be signed
  auto parsed = lamplight::backend::parse_api_authorization(signed_header);
  check(bool(parsed) && parsed->kid == kid_a && parsed->timestamp == ts
        && parsed->nonce == nonce);
  bool in_window = ts >= fixed_now - 300 && ts <= fixed_now + 300;
  std::string tampered(body);
  tampered.push_back('x');
  check(!verifier.verify(method, target, tampered, signed_header));
  auto first = verifier.verify(method, target, body, signed_header);
  auto again = verifier.verify(method, target, body, signed_header);
  if (!in_window) {
    check(!first && first.err().code == errc::unauthenticated);
  } else if (first) {
    check(first->tenant == "acme" && first->kid == kid_a);
    check(!again && again.err().code == errc::unauthenticated);
  } else {
    // Only a replay of the fuzzed request above, if it was a valid one (a
    // seed signed with the known key; the fuzzer cannot forge one).
    check(bool(r) && first.err().code == errc::unauthenticated);
  }
  return 0;
}
