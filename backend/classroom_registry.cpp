#include "backend/classroom_registry.hpp"

#include <google/protobuf/util/time_util.h>

#include "backend/random_id.hpp"
#include "backend/schema.hpp"
#include "protocol/permissions.hpp"
#include "protocol/token.hpp"
#include "storage/journal.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
namespace apiv = lamplight::api::v1;
using google::protobuf::util::TimeUtil;

constexpr std::size_t max_text_bytes = 200;
constexpr int64_t max_listed = 500;

constexpr const char* columns =
  "SELECT id, title, mode, capacity, provider, teacher, starts_ms, ends_ms, created_ms, ended_ms "
  "FROM classrooms ";

apiv::Classroom row_of(const database::statement& q) {
  apiv::Classroom c;
  c.set_id(q.text(0));
  c.set_title(q.text(1));
  c.set_mode(q.text(2));
  c.set_capacity(static_cast<uint32_t>(q.integer(3)));
  c.set_provider(q.text(4));
  c.set_teacher(q.text(5));
  // mutable_x() would make the field present: only for a time that is there.
  auto time = [&](int col, google::protobuf::Timestamp* (apiv::Classroom::*field)()) {
    if (!q.is_null(col))
      *(c.*field)() = TimeUtil::MillisecondsToTimestamp(q.integer(col));
  };
  time(6, &apiv::Classroom::mutable_starts_at);
  time(7, &apiv::Classroom::mutable_ends_at);
  time(8, &apiv::Classroom::mutable_created_at);
  time(9, &apiv::Classroom::mutable_ended_at);
  return c;
}

protocol::error bad(const std::string& why) { return {errc::bad_request, why}; }

/// The request's shape, checked before anything is written.
protocol::error check(const apiv::CreateClassroomRequest& r) {
  if (!storage::valid_journal_id(r.id()))
    return bad("id: 1..64 of [A-Za-z0-9._-], not starting with . or -");
  if (r.title().empty() || r.title().size() > max_text_bytes)
    return bad("title: 1..200 bytes");
  if (protocol::mode_from_name(r.mode()) == signal::v1::MODE_UNSPECIFIED)
    return bad("mode: one_on_one | small_group | large_class");
  if (r.capacity() > protocol::default_capacity(protocol::mode_from_name(r.mode())))
    return bad("capacity: at most the mode's (" + std::to_string(protocol::default_capacity(
                                                    protocol::mode_from_name(r.mode())))
               + ")");
  if (!r.provider().empty() && r.provider() != "sfu" && r.provider() != "janus")
    return bad("provider: sfu | janus, or empty for the node's default");
  if (!storage::valid_journal_id(r.teacher()))
    return bad("teacher: an identity, 1..64 of [A-Za-z0-9._-]");
  if (r.has_starts_at() != r.has_ends_at())
    return bad("startsAt and endsAt come together");
  if (static_cast<uint32_t>(r.students_size())
      > (r.capacity() != 0 ? r.capacity()
                           : protocol::default_capacity(protocol::mode_from_name(r.mode()))))
    return bad("students: at most the classroom's capacity");
  for (const auto& s : r.students())
    if (!storage::valid_journal_id(s))
      return bad("students: identities, 1..64 of [A-Za-z0-9._-]");
  if (r.has_starts_at()
      && TimeUtil::TimestampToMilliseconds(r.ends_at())
           <= TimeUtil::TimestampToMilliseconds(r.starts_at()))
    return bad("endsAt must be after startsAt");
  return {};
}

} // namespace

protocol::result<std::shared_ptr<classroom_registry>> classroom_registry::open(
  const std::string& address, clock now_ms) {
  if (!now_ms)
    now_ms = wall_ms;
  auto db = open_migrated(address, now_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<classroom_registry>(
    new classroom_registry(std::move(*db), std::move(now_ms)));
}

protocol::result<apiv::Classroom> classroom_registry::create(
  const std::string& tenant, const apiv::CreateClassroomRequest& r) {
  if (auto err = check(r); err.code != errc::none)
    return err;
  auto mode = protocol::mode_from_name(r.mode());
  auto capacity = r.capacity() != 0 ? r.capacity() : protocol::default_capacity(mode);
  std::lock_guard<std::mutex> lock(mtx_);
  transaction tx(*db_);
  if (!tx.started())
    return protocol::error{errc::internal, "database: cannot start a transaction"};
  auto q = db_->prepare("INSERT INTO classrooms (tenant, id, title, mode, capacity, provider, "
                        "teacher, starts_ms, ends_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                        "?, ?)");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, r.id()).bind(3, r.title()).bind(4, r.mode());
  q->bind(5, static_cast<int64_t>(capacity)).bind(6, r.provider()).bind(7, r.teacher());
  if (r.has_starts_at()) {
    q->bind(8, TimeUtil::TimestampToMilliseconds(r.starts_at()));
    q->bind(9, TimeUtil::TimestampToMilliseconds(r.ends_at()));
  } else {
    q->bind_null(8).bind_null(9);
  }
  q->bind(10, now_ms_());
  auto err = q->run();
  if (err.code == errc::already_exists)
    return protocol::error{errc::already_exists, "classroom " + r.id() + " exists"};
  if (err.code != errc::none)
    return err;
  for (const auto& student : r.students()) {
    auto s = db_->prepare("INSERT INTO classroom_students (tenant, classroom, student) "
                          "VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
    if (!s)
      return s.err();
    if (auto e = s->bind(1, tenant).bind(2, r.id()).bind(3, student).run(); e.code != errc::none)
      return e;
  }
  if (auto e = tx.commit(); e.code != errc::none)
    return e;
  return get_locked(tenant, r.id());
}

protocol::result<apiv::ClassroomList> classroom_registry::list(const std::string& tenant,
                                                               int64_t from_ms, int64_t to_ms) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto q = db_->prepare(std::string(columns)
                        + "WHERE tenant = ? AND (starts_ms IS NULL OR (starts_ms >= ? AND "
                          "starts_ms < ?)) ORDER BY starts_ms, id LIMIT ?");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, from_ms).bind(3, to_ms).bind(4, max_listed);
  apiv::ClassroomList out;
  if (auto err = q->each([&](const database::statement& r) { *out.add_classrooms() = row_of(r); });
      err.code != errc::none)
    return err;
  return out;
}

protocol::result<apiv::Classroom> classroom_registry::get(const std::string& tenant,
                                                          const std::string& id) {
  std::lock_guard<std::mutex> lock(mtx_);
  return get_locked(tenant, id);
}

protocol::result<apiv::Classroom> classroom_registry::get_locked(const std::string& tenant,
                                                                 const std::string& id) {
  auto q = db_->prepare(std::string(columns) + "WHERE tenant = ? AND id = ?");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, id);
  auto row = q->step();
  if (!row)
    return row.err();
  if (!*row)
    return protocol::error{errc::not_found, "no classroom " + id};
  auto out = row_of(*q);
  auto roster = db_->prepare(
    "SELECT student FROM classroom_students WHERE tenant = ? AND classroom = ? ORDER BY student");
  if (!roster)
    return roster.err();
  roster->bind(1, tenant).bind(2, id);
  if (auto err = roster->each([&](const database::statement& r) { out.add_students(r.text(0)); });
      err.code != errc::none)
    return err;
  return out;
}

protocol::result<apiv::Classroom> classroom_registry::end(const std::string& tenant,
                                                          const std::string& id) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto q = db_->prepare("UPDATE classrooms SET ended_ms = ? WHERE tenant = ? AND id = ? AND "
                        "ended_ms IS NULL");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, now_ms_()).bind(2, tenant).bind(3, id).run(); err.code != errc::none)
    return err;
  if (db_->changes() == 0) {
    auto c = get_locked(tenant, id);
    if (!c)
      return c;
    return protocol::error{errc::wrong_state, "classroom " + id + " has ended"};
  }
  return get_locked(tenant, id);
}

std::optional<apiv::Classroom> classroom_registry::find(const std::string& tenant,
                                                        const std::string& id) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto c = get_locked(tenant, id);
  if (!c)
    return std::nullopt;
  return *c;
}

} // namespace lamplight::backend
