#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "lamplight/signal/v1/common.pb.h"

namespace lamplight::protocol {

/// Error codes of the signaling protocol. Values equal signal::v1::ErrorCode
/// so conversion is a cast; `none` means success.
enum class errc : uint8_t {
  none = 0,
  bad_request = 1,
  unknown_message = 2,
  payload_too_large = 3,
  unauthenticated = 4,
  token_expired = 5,
  permission_denied = 6,
  wrong_state = 7,
  not_joined = 8,
  already_joined = 9,
  classroom_full = 10,
  classroom_not_found = 11,
  not_found = 12,
  busy = 13,
  tenant_mismatch = 14,
  timeout = 15,
  internal = 16,
  unavailable = 17,
  already_exists = 18,
  resource_exhausted = 19,  // a tenant's quota
};

/// How many codes there are (none included): the last one plus one.
inline constexpr std::size_t errc_count = static_cast<std::size_t>(errc::resource_exhausted) + 1;

/// Stable snake_case name, e.g. "wrong_state".
const char* to_string(errc x);

signal::v1::ErrorCode to_proto(errc x);
errc from_proto(signal::v1::ErrorCode x);

/// A typed error with a human message.
struct error {
  errc code = errc::none;
  std::string message;
};

/// Either a value or a typed error. Minimal on purpose: protocol/ stays free
/// of CAF, whose caf::expected would otherwise be the obvious choice.
template <class T>
class result {
public:
  result(T value) : v_(std::move(value)) {}
  result(error e) : v_(std::move(e)) {}
  result(errc code, std::string message) : v_(error{code, std::move(message)}) {}

  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const error& err() const { return std::get<1>(v_); }

private:
  std::variant<T, error> v_;
};

} // namespace lamplight::protocol
