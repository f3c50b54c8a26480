#pragma once

// Lamps are devices, not people: a tenant registers each of its lamps (the
// serial number printed on it, and the student it belongs to) and gets the
// lamp's device secret once, to provision it. The lamp then signs in as
// itself (protocol/device_credential.hpp) to the classrooms whose roster
// holds its student. Parents are bound to their children here too: a
// parent's join token is issued only for a bound child.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/database.hpp"
#include "protocol/device_credential.hpp"
#include "protocol/errc.hpp"

namespace lamplight::backend {

struct lamp {
  std::string tenant;
  std::string serial;   // 1..64 of [A-Za-z0-9._-]
  std::string student;  // whom it joins as
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0: live
};

/// A lamp just registered: the only time its secret is shown.
struct new_lamp {
  lamp device;
  std::string secret;
};

struct guardian {
  std::string parent;
  std::string child;
  int64_t created_ms = 0;
};

/// Thread-safe. Errors: bad_request (an id out of shape), already_exists,
/// not_found (no such tenant, lamp or binding of this tenant), internal.
class lamp_registry {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds

  static protocol::result<std::shared_ptr<lamp_registry>> open(const std::string& address,
                                                               clock now_ms = {});

  /// A serial revoked before may be registered again (a new secret).
  protocol::result<new_lamp> register_lamp(const std::string& tenant, const std::string& serial,
                                           const std::string& student);
  protocol::result<std::vector<lamp>> lamps(const std::string& tenant);
  /// Refused from its next sign-in on; a lamp in a lesson stays until it leaves.
  protocol::error revoke_lamp(const std::string& tenant, const std::string& serial);

  /// For a sign-in (protocol::device_lookup): a live lamp of an active
  /// tenant, and whether its student is on `classroom`'s roster (a
  /// classroom the tenant scheduled and did not end).
  std::optional<protocol::device_key> login(const std::string& tenant, const std::string& serial,
                                            const std::string& classroom);

  protocol::result<guardian> bind_parent(const std::string& tenant, const std::string& parent,
                                         const std::string& child);
  protocol::error unbind_parent(const std::string& tenant, const std::string& parent,
                                const std::string& child);
  protocol::result<std::vector<guardian>> guardians(const std::string& tenant);
  /// Errors: internal only (false is an answer).
  protocol::result<bool> is_guardian(const std::string& tenant, const std::string& parent,
                                     const std::string& child);

private:
  lamp_registry(std::unique_ptr<database> db, clock now_ms)
    : db_(std::move(db)), now_ms_(std::move(now_ms)) {}

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  clock now_ms_;
};

} // namespace lamplight::backend
