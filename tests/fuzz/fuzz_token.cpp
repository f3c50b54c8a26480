// Join tokens arrive from the network inside Join messages.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/token.hpp"

using namespace lamplight::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view tok(reinterpret_cast<const char*>(data), size);
  auto r = verify_token(tok, "fuzz-secret", 1'800'000'000);
  // Random bytes must never pass the signature check.
  if (r && tok.find('.') == std::string_view::npos)
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
  }
  return 0;
}
