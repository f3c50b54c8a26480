#pragma once

// A tenant's quotas (tenant_quota, set by the operator) checked where a
// tenant would use more: a member joining (participants present, and
// classrooms running when the member would start a lesson) and a homework
// photo being stored (bytes). What is in use is read from the cluster's
// history (open lessons, open stays, stored photos), so every node of a
// cluster counts the same; the history is written off the classrooms'
// threads, so two joins within one history batch (milliseconds) may both
// get the last place. A refusal is errc::resource_exhausted, and announced
// to the tenant's webhooks as "quota.reached" at most once a minute per
// quota.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backend/database.hpp"
#include "protocol/errc.hpp"

namespace lamplight::backend {

enum class quota_kind : uint8_t { classrooms, participants, photo_bytes };
const char* to_string(quota_kind x);

/// Thread-safe. Each check is a few indexed queries; a tenant without a row
/// (a node-secret token's tenant) has no limits. Errors: resource_exhausted
/// (with the quota, its limit and the use in the message), internal (the
/// database failed: the caller refuses, as it does when it cannot read a key).
class quota_guard {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds

  /// `on_announce` is called after a quota.reached event was queued (the
  /// webhook dispatcher looks at its outbox now).
  static protocol::result<std::shared_ptr<quota_guard>> open(const std::string& address,
                                                             clock now_ms = {},
                                                             std::function<void()> on_announce = {});

  /// `identity` is about to join `classroom`. A member already present there
  /// (a reconnect, a second device) is always admitted: it uses nothing new.
  protocol::error admit_member(const std::string& tenant, const std::string& classroom,
                               const std::string& identity);

  /// `bytes` more of homework photos for `tenant`.
  protocol::error admit_photo(const std::string& tenant, int64_t bytes);

private:
  quota_guard(std::unique_ptr<database> db, clock now_ms, std::function<void()> on_announce)
    : db_(std::move(db)), now_ms_(std::move(now_ms)), on_announce_(std::move(on_announce)) {}
  // All expect mtx_ held.
  protocol::result<int64_t> count(const char* sql, const std::string& tenant,
                                  const std::string& classroom = {},
                                  const std::string& identity = {});
  protocol::error exhausted(const std::string& tenant, const std::string& classroom,
                            quota_kind kind, int64_t limit, int64_t used);

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  clock now_ms_;
  std::function<void()> on_announce_;
  // (tenant, quota) -> the minute it was last announced from here: a flood
  // of refusals costs one outbox insert a minute, not one each.
  std::map<std::pair<std::string, quota_kind>, int64_t> announced_;
};

} // namespace lamplight::backend
