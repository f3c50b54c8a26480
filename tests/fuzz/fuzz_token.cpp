// Join tokens arrive from the network inside Join messages.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/token.hpp"

using namespace lamplight::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view tok(reinterpret_cast<const char*>(data), size);
  auto r = verify_token(tok, "fuzz-secret", 1'800'000'000);
  // Random bytes must never pass the signature check.
  if (r && tok.find('.') == std::string_view::npos)
    __builtin_trap();
  // The same bytes as a join token: a kid in the header is looked up (any
  // kid names a key here), the claims must be that key's tenant's.
  key_lookup keys = [](const std::string& kid) -> std::optional<tenant_key> {
    return tenant_key{"t-" + kid, "fuzz-key"};
  };
  auto j = verify_join_token(tok, "fuzz-secret", keys, 1'800'000'000);
  if (j && !token_key_id(tok).empty() && j->tenant != "t-" + token_key_id(tok))
    __builtin_trap();
  // A token we sign for whatever claims came in must verify.
  token_claims c;
  c.tenant = std::string(tok.substr(0, size / 3));
  c.classroom = "c";
  c.identity = std::string(tok.substr(size / 3));
  c.role = lamplight::signal::v1::ROLE_STUDENT;
  c.expires_at = 1'900'000'000;
  if (!c.tenant.empty() && !c.identity.empty() && size < 1000) {
    // Claims that are not UTF-8 cannot be signed; everything else must
    // come back exactly.
    auto tok = sign_token(c, "k");
    if (!tok.empty() && tok.size() <= max_token_bytes) {
      auto back = verify_token(tok, "k", 1'800'000'000);
      if (!back || !(*back == c))
        __builtin_trap();
    }
    // Signed with a key of that tenant, named in the header: admitted with
    // the same claims; under a kid of another tenant: never.
    auto keyed = sign_token(c, "fuzz-key", "kid");
    if (!keyed.empty() && keyed.size() <= max_token_bytes) {
      key_lookup own = [&](const std::string&) -> std::optional<tenant_key> {
        return tenant_key{c.tenant, "fuzz-key"};
      };
      auto back = verify_join_token(keyed, "fuzz-secret", own, 1'800'000'000);
      if (!back || !(*back == c))
        __builtin_trap();
      if (verify_join_token(keyed, "fuzz-secret", keys, 1'800'000'000) && c.tenant != "t-kid")
        __builtin_trap();
    }
  }
  return 0;
}
