#include "protocol/errc.hpp"

namespace lamplight::protocol {

const char* to_string(errc x) {
  switch (x) {
    case errc::none: return "none";
    case errc::bad_request: return "bad_request";
    case errc::unknown_message: return "unknown_message";
    case errc::payload_too_large: return "payload_too_large";
    case errc::unauthenticated: return "unauthenticated";
    case errc::token_expired: return "token_expired";
    case errc::permission_denied: return "permission_denied";
    case errc::wrong_state: return "wrong_state";
    case errc::not_joined: return "not_joined";
    case errc::already_joined: return "already_joined";
    case errc::classroom_full: return "classroom_full";
    case errc::classroom_not_found: return "classroom_not_found";
    case errc::not_found: return "not_found";
    case errc::busy: return "busy";
    case errc::tenant_mismatch: return "tenant_mismatch";
    case errc::timeout: return "timeout";
    case errc::internal: return "internal";
    case errc::unavailable: return "unavailable";
    case errc::already_exists: return "already_exists";
    case errc::resource_exhausted: return "resource_exhausted";
  }
  return "unknown";
}

signal::v1::ErrorCode to_proto(errc x) {
  return static_cast<signal::v1::ErrorCode>(static_cast<int>(x));
}

errc from_proto(signal::v1::ErrorCode x) {
  auto v = static_cast<int>(x);
  // An unknown value comes from a newer peer; we cannot interpret it.
  if (v < 0 || v >= static_cast<int>(errc_count))
    return errc::internal;
  return static_cast<errc>(v);
}

} // namespace lamplight::protocol
