#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backend/database.hpp"
#include "protocol/errc.hpp"
#include "protocol/token.hpp"

namespace lamplight::backend {

/// An institution that runs its tutoring on lamplight (a SaaS tenant).
enum class tenant_status : uint8_t { active, suspended };
const char* to_string(tenant_status x);
bool from_string(const std::string& text, tenant_status& out);

/// What a tenant may use at once, set by the operator; 0 is no limit.
/// Checked by quota_guard (quotas.hpp) from the cluster's history.
struct tenant_quota {
  int64_t classrooms = 0;    // classrooms with a lesson running
  int64_t participants = 0;  // members present, over all its classrooms
  int64_t photo_bytes = 0;   // homework photos stored, in bytes
};

struct tenant {
  std::string id;    // 1..64 of [A-Za-z0-9._-], not starting with . or -
  std::string name;  // any text, 1..200 bytes
  tenant_status status = tenant_status::active;
  int64_t created_ms = 0;
  tenant_quota quota;
};

/// One of a tenant's API keys, without its secret.
struct api_key {
  std::string kid;
  std::string tenant;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // 0: no expiry (set when the key was rotated)
  int64_t revoked_ms = 0;  // 0: not revoked
  bool live(int64_t now_ms) const {
    return revoked_ms == 0 && (expires_ms == 0 || now_ms < expires_ms);
  }
};

/// A key just made: the only time its secret is shown.
struct new_key {
  api_key key;
  std::string secret;
};

/// The tenants and their API keys, in the node's database
/// (`<data-dir>/lamplight.db`, shared with lamplight-admin). A join token
/// names the key that signed it (its kid); `lookup` answers only for a live
/// key of an active tenant, and reads the database each time, so a revoked
/// key or a suspended tenant is refused from the next join on, without a
/// restart. Thread-safe.
///
/// Errors: bad_request (an id or name out of shape), already_exists,
/// not_found (no such tenant or key, or a key of another tenant), internal
/// (the database failed).
class tenant_registry {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds

  /// Opens (creating and migrating) the database (see database::open).
  static protocol::result<std::shared_ptr<tenant_registry>> open(const std::string& address,
                                                                 clock now_ms = {});

  protocol::result<tenant> create_tenant(const std::string& id, const std::string& name);
  protocol::result<std::vector<tenant>> tenants();
  protocol::result<tenant> find_tenant(const std::string& id);
  protocol::error set_status(const std::string& id, tenant_status status);
  /// Takes effect at the next join or photo (negative values: bad_request).
  protocol::error set_quota(const std::string& id, const tenant_quota& quota);
  /// The tenant and its keys go.
  protocol::error delete_tenant(const std::string& id);

  protocol::result<new_key> create_key(const std::string& tenant);
  protocol::result<std::vector<api_key>> keys(const std::string& tenant);
  /// A new key for `tenant`; `kid` stays live `grace_ms` longer (0: revoked
  /// at once), so a backend can switch without refused joins.
  protocol::result<new_key> rotate_key(const std::string& tenant, const std::string& kid,
                                       int64_t grace_ms);
  protocol::error revoke_key(const std::string& tenant, const std::string& kid);

  /// The tenant and secret of a live key of an active tenant.
  std::optional<protocol::tenant_key> lookup(const std::string& kid);

  /// Tenant ids are path components (journals, photos): the same shape.
  static bool valid_tenant_id(const std::string& id);

private:
  tenant_registry(std::unique_ptr<database> db, clock now_ms)
    : db_(std::move(db)), now_ms_(std::move(now_ms)) {}
  // Both expect mtx_ held.
  protocol::result<new_key> insert_key(const std::string& tenant);
  protocol::result<tenant> find_tenant_locked(const std::string& id);

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  clock now_ms_;
};

} // namespace lamplight::backend
