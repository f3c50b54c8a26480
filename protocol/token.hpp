#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lamplight/signal/v1/common.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// Claims of a join token. JWT shape (RFC 7519): base64url(header) "."
/// base64url(payload) "." base64url(HMAC-SHA256(secret, header "." payload)),
/// header {"alg":"HS256","typ":"JWT"} (with "kid": the tenant API key that
/// signed it, RFC 7515 section 4.1.4), payload JSON with the fields:
///   ten (tenant), cls (classroom), sub (identity), name, role ("teacher",
///   "assistant", "student", "parent"), child (parents only), mode (optional
///   "one_on_one" | "small_group" | "large_class": lets a teacher's first join
///   create the classroom), provider (optional media provider, "sfu" |
///   "janus", for the classroom that join creates), exp (seconds since the
///   epoch).
struct token_claims {
  std::string tenant;
  std::string classroom;
  std::string identity;
  std::string display_name;
  signal::v1::Role role = signal::v1::ROLE_UNSPECIFIED;
  std::string child;
  signal::v1::ClassroomMode mode = signal::v1::MODE_UNSPECIFIED;
  std::string provider = {};
  int64_t expires_at = 0;

  friend bool operator==(const token_claims& a, const token_claims& b);
};

const char* role_name(signal::v1::Role r);            // "teacher", ...
signal::v1::Role role_from_name(std::string_view s);  // ROLE_UNSPECIFIED if unknown
const char* mode_name(signal::v1::ClassroomMode m);   // "one_on_one", ...
signal::v1::ClassroomMode mode_from_name(std::string_view s);

/// The built-in tenant of a development node's /dev/token (the README's
/// first command, the web pages' defaults): it has no keys, and no real
/// tenant may take its name.
inline constexpr std::string_view demo_tenant = "demo";

/// Longest token accepted; anything longer is rejected before any parsing.
inline constexpr std::size_t max_token_bytes = 4096;

/// The signed token; "" if a claim is not valid UTF-8 (JSON cannot carry it).
/// With a `kid`, the header names the key (a tenant's API key); without, the
/// token is signed with the node's own secret.
std::string sign_token(const token_claims& claims, std::string_view secret,
                       std::string_view kid = {});

/// The "kid" of a token's header ("" if none, or if the token is malformed:
/// verification then says why). Unverified: only for choosing the key.
std::string token_key_id(std::string_view token);

/// A tenant's API key as token verification needs it.
struct tenant_key {
  std::string tenant;
  std::string secret;
};

/// The live key of a kid: nullopt if unknown, revoked, expired, or its
/// tenant is suspended or deleted.
using key_lookup = std::function<std::optional<tenant_key>(const std::string& kid)>;

/// Checks shape, algorithm, signature (constant-time compare), required claims
/// (tenant, classroom, identity, a known role, child for parents) and expiry
/// against `now_s`. errc::unauthenticated or errc::token_expired otherwise.
result<token_claims> verify_token(std::string_view token, std::string_view secret,
                                  int64_t now_s);

/// A join token as a node checks it: a token naming a key (kid) is verified
/// with that key, which must be live (`keys`), and its claims must name the
/// key's tenant (errc::tenant_mismatch otherwise: a key of one tenant never
/// admits anyone to another); a token without a kid is verified with the
/// node's own secret. An unknown, revoked or expired key, or one of a
/// suspended tenant, is errc::unauthenticated without saying which.
result<token_claims> verify_join_token(std::string_view token, std::string_view node_secret,
                                       const key_lookup& keys, int64_t now_s);

} // namespace lamplight::protocol
