#include "backend/quotas.hpp"

#include <google/protobuf/util/time_util.h>

#include "backend/history_labels.hpp"
#include "backend/random_id.hpp"
#include "backend/schema.hpp"
#include "backend/webhooks.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;

// One quota.reached event per quota and minute: a flood of refused joins
// is one line in the tenant's webhooks, not one per join.
constexpr int64_t announce_every_ms = 60'000;

// The same member already present in the classroom: it takes no new place.
constexpr const char* present_here =
  "SELECT COUNT(*) FROM attendance a JOIN lessons l ON l.id = a.lesson "
  "WHERE l.tenant = ? AND l.ended_ms IS NULL AND a.left_ms IS NULL AND l.classroom = ? "
  "AND a.identity = ?";
constexpr const char* present_anywhere =
  "SELECT COUNT(*) FROM attendance a JOIN lessons l ON l.id = a.lesson "
  "WHERE l.tenant = ? AND l.ended_ms IS NULL AND a.left_ms IS NULL";
constexpr const char* lesson_running_here =
  "SELECT COUNT(*) FROM lessons WHERE tenant = ? AND ended_ms IS NULL AND classroom = ?";
constexpr const char* lessons_running =
  "SELECT COUNT(*) FROM lessons WHERE tenant = ? AND ended_ms IS NULL";
// A photo stored twice (content-addressed) takes its bytes once.
constexpr const char* photo_bytes_stored =
  "SELECT COALESCE(SUM(b), 0) FROM (SELECT MAX(p.bytes) AS b FROM photos p "
  "JOIN lessons l ON l.id = p.lesson WHERE l.tenant = ? GROUP BY p.photo_id) AS stored";

} // namespace

const char* to_string(quota_kind x) {
  switch (x) {
    case quota_kind::classrooms: return "classrooms";
    case quota_kind::participants: return "participants";
    case quota_kind::photo_bytes: return "photo_bytes";
  }
  return "?";
}

protocol::result<std::shared_ptr<quota_guard>> quota_guard::open(
  const std::string& address, clock now_ms, std::function<void()> on_announce) {
  if (!now_ms)
    now_ms = wall_ms;
  auto db = open_migrated(address, now_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<quota_guard>(
    new quota_guard(std::move(*db), std::move(now_ms), std::move(on_announce)));
}

protocol::result<int64_t> quota_guard::count(const char* sql, const std::string& tenant,
                                             const std::string& classroom,
                                             const std::string& identity) {
  auto q = db_->prepare(sql);
  if (!q)
    return q.err();
  q->bind(1, tenant);
  if (!classroom.empty())
    q->bind(2, classroom);
  if (!identity.empty())
    q->bind(3, identity);
  auto row = q->step();
  if (!row)
    return row.err();
  return *row ? q->integer(0) : 0;
}

protocol::error quota_guard::admit_member(const std::string& tenant, const std::string& classroom,
                                          const std::string& identity) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto limits = db_->prepare(
    "SELECT max_classrooms, max_participants FROM tenants WHERE id = ?");
  if (!limits)
    return limits.err();
  limits->bind(1, tenant);
  auto row = limits->step();
  if (!row)
    return row.err();
  if (!*row)
    return {};
  auto max_classrooms = limits->integer(0), max_participants = limits->integer(1);
  if (max_classrooms == 0 && max_participants == 0)
    return {};
  auto here = count(present_here, tenant, classroom, identity);
  if (!here)
    return here.err();
  if (*here > 0)
    return {};
  if (max_participants > 0) {
    auto used = count(present_anywhere, tenant);
    if (!used)
      return used.err();
    if (*used >= max_participants)
      return exhausted(tenant, classroom, quota_kind::participants, max_participants, *used);
  }
  if (max_classrooms > 0) {
    auto running = count(lesson_running_here, tenant, classroom);
    if (!running)
      return running.err();
    if (*running == 0) {
      auto used = count(lessons_running, tenant);
      if (!used)
        return used.err();
      if (*used >= max_classrooms)
        return exhausted(tenant, classroom, quota_kind::classrooms, max_classrooms, *used);
    }
  }
  return {};
}

protocol::error quota_guard::admit_photo(const std::string& tenant, int64_t bytes) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto limit = db_->prepare("SELECT max_photo_bytes FROM tenants WHERE id = ?");
  if (!limit)
    return limit.err();
  limit->bind(1, tenant);
  auto row = limit->step();
  if (!row)
    return row.err();
  if (!*row || limit->integer(0) == 0)
    return {};
  auto max_bytes = limit->integer(0);
  auto used = count(photo_bytes_stored, tenant);
  if (!used)
    return used.err();
  if (*used + bytes > max_bytes)
    return exhausted(tenant, "", quota_kind::photo_bytes, max_bytes, *used);
  return {};
}

protocol::error quota_guard::exhausted(const std::string& tenant, const std::string& classroom,
                                       quota_kind kind, int64_t limit, int64_t used) {
  protocol::error refused{errc::resource_exhausted,
                          "tenant " + tenant + " has reached its " + to_string(kind) + " quota ("
                            + std::to_string(used) + " of " + std::to_string(limit) + ")"};
  auto now = now_ms_();
  auto minute = now / announce_every_ms;
  auto& last = announced_[{tenant, kind}];
  if (last == minute)
    return refused;
  // The id names the quota and the minute: every node refusing in that
  // minute queues the same id, which the outbox keeps once per endpoint.
  using google::protobuf::util::TimeUtil;
  auto id = "quota." + tenant + "." + to_string(kind) + "." + std::to_string(minute);
  auto body = "{\"id\":" + json_string(id) + ",\"type\":\"quota.reached\",\"tenant\":"
              + json_string(tenant) + ",\"classroom\":" + json_string(classroom)
              + ",\"lesson\":\"\",\"seq\":0,\"at\":"
              + json_string(TimeUtil::ToString(TimeUtil::MillisecondsToTimestamp(now)))
              + ",\"data\":{\"quotaReached\":{\"quota\":" + json_string(to_string(kind))
              + ",\"limit\":" + std::to_string(limit) + ",\"used\":" + std::to_string(used)
              + "}}}";
  // Announcing is best effort: the refusal stands whether or not it is
  // queued (a failed insert is tried again at the next refusal).
  if (enqueue_webhook_event(*db_, tenant, id, "quota.reached", body, now).code == errc::none) {
    last = minute;
    if (on_announce_)
      on_announce_();
  }
  return refused;
}

} // namespace lamplight::backend
