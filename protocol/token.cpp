#include "protocol/token.hpp"

#include "protocol/digest.hpp"

#include <array>
#include <cmath>
#include <optional>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace lamplight::protocol {

namespace {

namespace pb = google::protobuf;

// -- base64url without padding (RFC 4648 section 5, as JWS requires) --------

constexpr char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<uint8_t>(in[k]); };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6)
      out += b64_alphabet[(v >> s) & 63];
  }
  if (auto rest = in.size() - i; rest > 0) {
    uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    if (rest == 2)
      out += b64_alphabet[(v >> 6) & 63];
  }
  return out;
}

/// Strict decoder: no padding, no whitespace, no other alphabet, and unused
/// trailing bits must be zero, so one token has exactly one spelling.
std::optional<std::string> b64url_decode(std::string_view in) {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int k = 0; k < 64; ++k)
      t[static_cast<uint8_t>(b64_alphabet[k])] = static_cast<int8_t>(k);
    return t;
  }();
  if (in.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    auto v = table[static_cast<uint8_t>(c)];
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;
  return out;
}

constexpr std::string_view jwt_header = R"({"alg":"HS256","typ":"JWT"})";

/// Longest kid accepted in a header (ours are 18 characters).
constexpr std::size_t max_kid_bytes = 64;

error bad_token(std::string why) {
  return error{errc::unauthenticated, "invalid token: " + std::move(why)};
}

std::string string_field(const pb::Struct& s, const char* key) {
  auto i = s.fields().find(key);
  if (i == s.fields().end() || i->second.kind_case() != pb::Value::kStringValue)
    return {};
  return i->second.string_value();
}

/// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<uint8_t>(s[k]); };
  while (i < s.size()) {
    uint8_t c = byte(i);
    std::size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size())
      return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr uint32_t min_of[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

} // namespace

bool operator==(const token_claims& a, const token_claims& b) {
  return a.tenant == b.tenant && a.classroom == b.classroom && a.identity == b.identity
         && a.display_name == b.display_name && a.role == b.role && a.child == b.child
         && a.mode == b.mode && a.provider == b.provider && a.expires_at == b.expires_at;
}

const char* role_name(signal::v1::Role r) {
  switch (r) {
    case signal::v1::ROLE_TEACHER: return "teacher";
    case signal::v1::ROLE_ASSISTANT: return "assistant";
    case signal::v1::ROLE_STUDENT: return "student";
    case signal::v1::ROLE_PARENT: return "parent";
    default: return "unspecified";
  }
}

signal::v1::Role role_from_name(std::string_view s) {
  for (auto r : {signal::v1::ROLE_TEACHER, signal::v1::ROLE_ASSISTANT,
                 signal::v1::ROLE_STUDENT, signal::v1::ROLE_PARENT})
    if (s == role_name(r))
      return r;
  return signal::v1::ROLE_UNSPECIFIED;
}

const char* mode_name(signal::v1::ClassroomMode m) {
  switch (m) {
    case signal::v1::MODE_ONE_ON_ONE: return "one_on_one";
    case signal::v1::MODE_SMALL_GROUP: return "small_group";
    case signal::v1::MODE_LARGE_CLASS: return "large_class";
    default: return "unspecified";
  }
}

signal::v1::ClassroomMode mode_from_name(std::string_view s) {
  for (auto m : {signal::v1::MODE_ONE_ON_ONE, signal::v1::MODE_SMALL_GROUP,
                 signal::v1::MODE_LARGE_CLASS})
    if (s == mode_name(m))
      return m;
  return signal::v1::MODE_UNSPECIFIED;
}

std::string sign_token(const token_claims& c, std::string_view secret, std::string_view kid) {
  for (const auto* x : {&c.tenant, &c.classroom, &c.identity, &c.display_name, &c.child,
                        &c.provider})
    if (!valid_utf8(*x))
      return {};
  std::string header(jwt_header);
  if (!kid.empty()) {
    pb::Struct h;
    auto& hf = *h.mutable_fields();
    hf["alg"].set_string_value("HS256");
    hf["typ"].set_string_value("JWT");
    hf["kid"].set_string_value(std::string(kid));
    std::string json;
    if (kid.size() > max_kid_bytes || !valid_utf8(kid)
        || !pb::util::MessageToJsonString(h, &json).ok())
      return {};
    header = std::move(json);
  }
  pb::Struct payload;
  auto& f = *payload.mutable_fields();
  f["ten"].set_string_value(c.tenant);
  f["cls"].set_string_value(c.classroom);
  f["sub"].set_string_value(c.identity);
  if (!c.display_name.empty())
    f["name"].set_string_value(c.display_name);
  f["role"].set_string_value(role_name(c.role));
  if (!c.child.empty())
    f["child"].set_string_value(c.child);
  if (c.mode != signal::v1::MODE_UNSPECIFIED)
    f["mode"].set_string_value(mode_name(c.mode));
  if (!c.provider.empty())
    f["provider"].set_string_value(c.provider);
  f["exp"].set_number_value(static_cast<double>(c.expires_at));
  std::string json;
  if (!pb::util::MessageToJsonString(payload, &json).ok())
    return {};
  auto signing_input = b64url_encode(header) + "." + b64url_encode(json);
  auto sig = b64url_encode(hmac_sha256(secret, signing_input));
  return signing_input + "." + sig;
}

result<token_claims> verify_token(std::string_view token, std::string_view secret,
                                  int64_t now_s) {
  if (token.empty())
    return bad_token("empty");
  if (token.size() > max_token_bytes)
    return bad_token("longer than " + std::to_string(max_token_bytes) + " bytes");
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return bad_token("not three dot-separated parts");
  auto header = b64url_decode(token.substr(0, dot1));
  auto body = b64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = b64url_decode(token.substr(dot2 + 1));
  if (!header || !body || !sig)
    return bad_token("not base64url");
  // Check the signature before looking at anything the sender chose, so an
  // attacker learns nothing from which check failed.
  auto expected = hmac_sha256(secret, token.substr(0, dot2));
  if (sig->size() != expected.size()
      || CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0)
    return bad_token("bad signature");
  pb::Struct h;
  pb::util::JsonParseOptions opts;
  if (!pb::util::JsonStringToMessage(*header, &h, opts).ok())
    return bad_token("header is not JSON");
  if (string_field(h, "alg") != "HS256")
    return bad_token("algorithm is not HS256");
  pb::Struct p;
  if (!pb::util::JsonStringToMessage(*body, &p, opts).ok())
    return bad_token("payload is not JSON");
  token_claims c;
  c.tenant = string_field(p, "ten");
  c.classroom = string_field(p, "cls");
  c.identity = string_field(p, "sub");
  c.display_name = string_field(p, "name");
  c.role = role_from_name(string_field(p, "role"));
  c.child = string_field(p, "child");
  c.provider = string_field(p, "provider");
  auto mode = string_field(p, "mode");
  c.mode = mode_from_name(mode);
  auto exp = p.fields().find("exp");
  if (exp == p.fields().end() || exp->second.kind_case() != pb::Value::kNumberValue
      || !std::isfinite(exp->second.number_value()))
    return bad_token("missing exp");
  auto exp_value = exp->second.number_value();
  if (exp_value < 0 || exp_value > 1e15 || std::floor(exp_value) != exp_value)
    return bad_token("exp out of range");
  c.expires_at = static_cast<int64_t>(exp_value);
  if (c.tenant.empty() || c.classroom.empty() || c.identity.empty())
    return bad_token("missing ten, cls or sub");
  if (c.role == signal::v1::ROLE_UNSPECIFIED)
    return bad_token("unknown role");
  if (c.role == signal::v1::ROLE_PARENT && c.child.empty())
    return bad_token("a parent token must name its child");
  if (!mode.empty() && c.mode == signal::v1::MODE_UNSPECIFIED)
    return bad_token("unknown mode");
  if (c.expires_at <= now_s)
    return error{errc::token_expired, "token expired"};
  return c;
}

std::string token_key_id(std::string_view token) {
  if (token.size() > max_token_bytes)
    return {};
  auto dot = token.find('.');
  if (dot == std::string_view::npos)
    return {};
  auto header = b64url_decode(token.substr(0, dot));
  pb::Struct h;
  if (!header || !pb::util::JsonStringToMessage(*header, &h, pb::util::JsonParseOptions{}).ok())
    return {};
  auto kid = string_field(h, "kid");
  return kid.size() <= max_kid_bytes ? kid : std::string{};
}

result<token_claims> verify_join_token(std::string_view token, std::string_view node_secret,
                                       const key_lookup& keys, int64_t now_s) {
  auto kid = token_key_id(token);
  if (kid.empty())
    return verify_token(token, node_secret, now_s);
  auto key = keys ? keys(kid) : std::nullopt;
  if (!key)
    return bad_token("unknown or revoked key");
  auto claims = verify_token(token, key->secret, now_s);
  if (claims && claims->tenant != key->tenant)
    return error{errc::tenant_mismatch, "the token's key belongs to another tenant"};
  return claims;
}

} // namespace lamplight::protocol
