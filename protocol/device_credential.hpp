#pragma once

// How a lamp signs in as itself (signal.v1 DeviceLogin, sent in Join instead
// of a token): a tenant registers each lamp with its serial number and the
// student it belongs to, and gets a device secret once (backend/lamps.hpp).
// The lamp proves it holds the secret without sending it:
//
//   sig = lower-case hex HMAC-SHA256(secret,
//           "LL1-DEVICE\n" ts "\n" nonce "\n" tenant "\n" serial "\n" classroom)
//
// ts is the lamp's clock in unix seconds and must be within device_window_s
// of the node's; the nonce is 16..64 of [A-Za-z0-9_-]. The lamp joins as its
// student (role student), and only a classroom whose roster holds that
// student. A captured login can be replayed only within the window, and
// only to take the same lamp's seat.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "lamplight/signal/v1/workflow.pb.h"
#include "protocol/errc.hpp"
#include "protocol/token.hpp"

namespace lamplight::protocol {

inline constexpr int64_t device_window_s = 300;

/// A registered, live lamp as a login needs it.
struct device_key {
  std::string student;  // whom it joins as
  std::string secret;
  bool enrolled = false;  // the student is on the classroom's roster
};

/// The live lamp `serial` of an active `tenant`, with whether its student
/// is on `classroom`'s roster; nullopt if unknown or revoked.
using device_lookup = std::function<std::optional<device_key>(
  const std::string& tenant, const std::string& serial, const std::string& classroom)>;

std::string device_string_to_sign(const signal::v1::DeviceLogin& login);

/// A login for `classroom` signed with the lamp's secret at `ts`.
signal::v1::DeviceLogin sign_device_login(const std::string& tenant, const std::string& serial,
                                          const std::string& classroom,
                                          const std::string& secret, int64_t ts,
                                          const std::string& nonce);

/// The claims a valid login joins with (role student, expiring with the
/// window). Errors: unauthenticated (malformed, unknown or revoked lamp,
/// bad signature, time outside the window: one message for an unknown lamp
/// and a bad signature), permission_denied (its student is not on the
/// classroom's roster).
result<token_claims> verify_device_login(const signal::v1::DeviceLogin& login,
                                         const device_lookup& lamps, int64_t now_s);

} // namespace lamplight::protocol
