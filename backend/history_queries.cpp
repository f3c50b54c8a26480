#include "backend/history_queries.hpp"

#include <ctime>
#include <map>

#include <google/protobuf/util/time_util.h>

#include "backend/random_id.hpp"
#include "backend/schema.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
namespace apiv = lamplight::api::v1;
using google::protobuf::util::TimeUtil;

constexpr uint32_t max_lessons = 1000;
constexpr int64_t day_ms = 86400000;
constexpr int64_t max_usage_days = 366;

void set_time(google::protobuf::Timestamp* t, int64_t ms) {
  *t = TimeUtil::MillisecondsToTimestamp(ms);
}

double minutes(int64_t ms) { return static_cast<double>(ms) / 60000.0; }

/// A lesson row as the API shows it (columns: id, classroom, mode,
/// started_ms, ended_ms, end_reason, participants).
apiv::Lesson lesson_of(const database::statement& q) {
  apiv::Lesson l;
  l.set_id(q.text(0));
  l.set_classroom(q.text(1));
  l.set_mode(q.text(2));
  set_time(l.mutable_started_at(), q.integer(3));
  if (!q.is_null(4))
    set_time(l.mutable_ended_at(), q.integer(4));
  l.set_end_reason(q.text(5));
  l.set_participants(static_cast<uint32_t>(q.integer(6)));
  return l;
}

constexpr const char* lesson_columns =
  "SELECT id, classroom, mode, started_ms, ended_ms, COALESCE(end_reason, ''), "
  "(SELECT COUNT(DISTINCT identity) FROM attendance WHERE attendance.lesson = lessons.id) "
  "FROM lessons ";

} // namespace

std::string utc_day(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

protocol::result<std::shared_ptr<history_store>> history_store::open(
  const std::string& address, clock now_ms) {
  auto db = open_migrated(address, wall_ms());
  if (!db)
    return db.err();
  if (!now_ms)
    now_ms = wall_ms;
  return std::shared_ptr<history_store>(new history_store(std::move(*db), std::move(now_ms)));
}

protocol::result<apiv::LessonList> history_store::lessons(const std::string& tenant,
                                                         const lesson_filter& f) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto q = db_->prepare(std::string(lesson_columns)
                        + "WHERE tenant = ? AND (? = '' OR classroom = ?) AND started_ms >= ? "
                          "AND started_ms < ? ORDER BY started_ms DESC LIMIT ?");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, f.classroom).bind(3, f.classroom).bind(4, f.from_ms).bind(5, f.to_ms);
  q->bind(6, static_cast<int64_t>(std::min(f.limit, max_lessons)));
  apiv::LessonList out;
  if (auto err = q->each([&](const database::statement& r) { *out.add_lessons() = lesson_of(r); });
      err.code != errc::none)
    return err;
  return out;
}

protocol::result<apiv::LessonDetail> history_store::lesson(const std::string& tenant,
                                                          const std::string& id) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto q = db_->prepare(std::string(lesson_columns) + "WHERE tenant = ? AND id = ?");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, id);
  auto row = q->step();
  if (!row)
    return row.err();
  if (!*row)
    return protocol::error{errc::not_found, "no lesson " + id};
  apiv::LessonDetail out;
  *out.mutable_lesson() = lesson_of(*q);
  // What is still open counts until the lesson's end, or now if it runs.
  int64_t until = q->is_null(4) ? now_ms_() : q->integer(4);
  for (auto err : {fill_attendance(out, until), fill_calls(out), fill_hands(out, until),
                   fill_photos(out), fill_device_commands(out)})
    if (err.code != errc::none)
      return err;
  return out;
}

protocol::error history_store::fill_attendance(apiv::LessonDetail& out, int64_t until_ms) {
  auto q = db_->prepare("SELECT identity, role, display_name, joined_ms, left_ms, "
                        "COALESCE(left_reason, '') FROM attendance WHERE lesson = ? "
                        "ORDER BY identity, joined_ms");
  if (!q)
    return q.err();
  q->bind(1, out.lesson().id());
  apiv::Attendance* cur = nullptr;
  return q->each([&](const database::statement& r) {
    if (!cur || cur->identity() != r.text(0)) {
      cur = out.add_attendance();
      cur->set_identity(r.text(0));
      cur->set_role(r.text(1));
      cur->set_display_name(r.text(2));
    }
    auto* stay = cur->add_stays();
    auto joined = r.integer(3);
    set_time(stay->mutable_joined_at(), joined);
    auto left = until_ms;
    if (!r.is_null(4)) {
      left = r.integer(4);
      set_time(stay->mutable_left_at(), left);
      stay->set_left_reason(r.text(5));
    }
    cur->set_minutes_present(cur->minutes_present() + minutes(std::max<int64_t>(0, left - joined)));
  });
}

protocol::error history_store::fill_calls(apiv::LessonDetail& out) {
  auto q = db_->prepare("SELECT call_id, caller, callee, started_ms, answered_ms, ended_ms, "
                        "COALESCE(outcome, '') FROM calls WHERE lesson = ? ORDER BY started_ms");
  if (!q)
    return q.err();
  q->bind(1, out.lesson().id());
  return q->each([&](const database::statement& r) {
    auto* c = out.add_calls();
    c->set_call_id(r.text(0));
    c->set_caller(r.text(1));
    c->set_callee(r.text(2));
    set_time(c->mutable_started_at(), r.integer(3));
    if (!r.is_null(4))
      set_time(c->mutable_answered_at(), r.integer(4));
    if (!r.is_null(5))
      set_time(c->mutable_ended_at(), r.integer(5));
    c->set_outcome(r.text(6));
    if (!r.is_null(4) && !r.is_null(5))
      c->set_talk_seconds(static_cast<double>(r.integer(5) - r.integer(4)) / 1000.0);
  });
}

protocol::error history_store::fill_hands(apiv::LessonDetail& out, int64_t until_ms) {
  auto q = db_->prepare("SELECT identity, raised_ms, lowered_ms, COALESCE(outcome, ''), "
                        "COALESCE(by_identity, '') FROM hands WHERE lesson = ? ORDER BY raised_ms");
  if (!q)
    return q.err();
  q->bind(1, out.lesson().id());
  return q->each([&](const database::statement& r) {
    auto* h = out.add_hands();
    h->set_identity(r.text(0));
    set_time(h->mutable_raised_at(), r.integer(1));
    auto lowered = r.is_null(2) ? until_ms : r.integer(2);
    if (!r.is_null(2))
      set_time(h->mutable_lowered_at(), lowered);
    h->set_outcome(r.text(3));
    h->set_by(r.text(4));
    h->set_wait_seconds(static_cast<double>(std::max<int64_t>(0, lowered - r.integer(1))) / 1000.0);
  });
}

protocol::error history_store::fill_photos(apiv::LessonDetail& out) {
  auto q = db_->prepare("SELECT photo_id, owner, taken_by, command_id, width, height, at_ms "
                        "FROM photos WHERE lesson = ? ORDER BY at_ms");
  if (!q)
    return q.err();
  q->bind(1, out.lesson().id());
  return q->each([&](const database::statement& r) {
    auto* p = out.add_photos();
    p->set_photo_id(r.text(0));
    p->set_owner(r.text(1));
    p->set_taken_by(r.text(2));
    p->set_command_id(r.text(3));
    p->set_width(static_cast<uint32_t>(r.integer(4)));
    p->set_height(static_cast<uint32_t>(r.integer(5)));
    set_time(p->mutable_taken_at(), r.integer(6));
  });
}

protocol::result<apiv::QuestionList> history_store::questions(const std::string& tenant,
                                                             const lesson_filter& f) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "SELECT id, student, subject, state, asked_ms, ended_ms, COALESCE(teacher, ''), "
    "COALESCE(classroom, '') FROM questions WHERE tenant = ? AND asked_ms >= ? AND asked_ms < ? "
    "AND (? = '' OR classroom = ?) ORDER BY asked_ms DESC, id LIMIT ?");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, f.from_ms).bind(3, f.to_ms).bind(4, f.classroom).bind(5, f.classroom);
  q->bind(6, static_cast<int64_t>(std::min<uint32_t>(f.limit, 1000)));
  apiv::QuestionList out;
  auto now = now_ms_();
  if (auto err = q->each([&](const database::statement& r) {
        auto* x = out.add_questions();
        x->set_id(r.text(0));
        x->set_student(r.text(1));
        x->set_subject(r.text(2));
        x->set_state(r.text(3));
        set_time(x->mutable_asked_at(), r.integer(4));
        auto ended = r.is_null(5) ? now : r.integer(5);
        if (!r.is_null(5))
          set_time(x->mutable_ended_at(), ended);
        x->set_teacher(r.text(6));
        x->set_classroom(r.text(7));
        x->set_wait_seconds(static_cast<double>(std::max<int64_t>(0, ended - r.integer(4))) / 1000.0);
      });
      err.code != errc::none)
    return err;
  return out;
}

protocol::error history_store::fill_device_commands(apiv::LessonDetail& out) {
  auto q = db_->prepare("SELECT command_id, target, requested_by, action, outcome, detail, "
                        "ended_ms FROM device_commands WHERE lesson = ? ORDER BY ended_ms");
  if (!q)
    return q.err();
  q->bind(1, out.lesson().id());
  return q->each([&](const database::statement& r) {
    auto* d = out.add_device_commands();
    d->set_command_id(r.text(0));
    d->set_target(r.text(1));
    d->set_requested_by(r.text(2));
    d->set_action(r.text(3));
    d->set_outcome(r.text(4));
    d->set_detail(r.text(5));
    set_time(d->mutable_ended_at(), r.integer(6));
  });
}

protocol::result<apiv::Usage> history_store::usage(const std::string& tenant, int64_t from_ms,
                                                  int64_t to_ms) {
  if (to_ms <= from_ms || to_ms - from_ms > max_usage_days * day_ms)
    return protocol::error{errc::bad_request, "usage covers 1 to 366 days"};
  std::lock_guard<std::mutex> lock(mtx_);
  auto now = now_ms_();
  std::map<std::string, apiv::UsageDay> days;
  auto day = [&](int64_t ms) -> apiv::UsageDay& {
    auto& d = days[utc_day(ms)];
    d.set_day(utc_day(ms));
    return d;
  };
  // Each query yields (start, end or NULL) rows of one kind, by the day
  // they began. Open stays and tracks count until now.
  struct part {
    const char* sql;
    void (*add)(apiv::UsageDay&, int64_t begun, int64_t ended);
  };
  const part parts[] = {
    {"SELECT started_ms, 0 FROM lessons WHERE tenant = ? AND started_ms >= ? AND started_ms < ?",
     [](apiv::UsageDay& d, int64_t, int64_t) { d.set_lessons(d.lessons() + 1); }},
    {"SELECT a.joined_ms, a.left_ms FROM attendance a JOIN lessons l ON l.id = a.lesson "
     "WHERE l.tenant = ? AND a.joined_ms >= ? AND a.joined_ms < ?",
     [](apiv::UsageDay& d, int64_t b, int64_t e) {
       d.set_participant_minutes(d.participant_minutes() + minutes(std::max<int64_t>(0, e - b)));
     }},
    {"SELECT t.published_ms, t.unpublished_ms FROM media_tracks t JOIN lessons l ON "
     "l.id = t.lesson WHERE l.tenant = ? AND t.published_ms >= ? AND t.published_ms < ?",
     [](apiv::UsageDay& d, int64_t b, int64_t e) {
       d.set_media_minutes(d.media_minutes() + minutes(std::max<int64_t>(0, e - b)));
     }},
    {"SELECT p.at_ms, 0 FROM photos p JOIN lessons l ON l.id = p.lesson WHERE l.tenant = ? AND "
     "p.at_ms >= ? AND p.at_ms < ?",
     [](apiv::UsageDay& d, int64_t, int64_t) { d.set_photos(d.photos() + 1); }},
  };
  for (const auto& p : parts) {
    auto q = db_->prepare(p.sql);
    if (!q)
      return q.err();
    q->bind(1, tenant).bind(2, from_ms).bind(3, to_ms);
    auto err = q->each([&](const database::statement& r) {
      auto begun = r.integer(0);
      p.add(day(begun), begun, r.is_null(1) ? now : r.integer(1));
    });
    if (err.code != errc::none)
      return err;
  }
  // Forwarded bytes are kept per day already ("YYYY-MM-DD" sorts as time).
  auto fwd = db_->prepare("SELECT day, bytes FROM forwarded_bytes WHERE tenant = ? AND day >= ? "
                          "AND day < ?");
  if (!fwd)
    return fwd.err();
  fwd->bind(1, tenant).bind(2, utc_day(from_ms)).bind(3, utc_day(to_ms));
  auto err = fwd->each([&](const database::statement& r) {
    auto& d = days[r.text(0)];
    d.set_day(r.text(0));
    d.set_forwarded_bytes(static_cast<uint64_t>(r.integer(1)));
  });
  if (err.code != errc::none)
    return err;
  apiv::Usage out;
  for (auto& [_, d] : days)
    *out.add_days() = std::move(d);
  return out;
}

} // namespace lamplight::backend
