#include "backend/history_writer.hpp"

#include <optional>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "backend/history_labels.hpp"
#include "backend/random_id.hpp"
#include "backend/schema.hpp"
#include "backend/webhooks.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
namespace sig = signal::v1;
using google::protobuf::util::TimeUtil;

/// The open lesson of a classroom: the one its events now belong to.
struct lesson_ref {
  std::string id;
  int64_t last_seq = 0;
  int64_t started_ms = 0;
  bool open = true;
};

/// One batch's statements against one connection, inside its transaction.
class history_tx {
public:
  explicit history_tx(database& db) : db_(db) {}

  protocol::error apply(const std::string& tenant, const std::string& classroom,
                        const sig::ClassroomEvent& ev) {
    auto at = ev.at_ms();
    auto latest = latest_lesson(tenant, classroom);
    if (!latest)
      return latest.err();
    auto seq = static_cast<int64_t>(ev.seq());
    lesson_ref lesson;
    if (ev.has_created()) {
      if (*latest && (*latest)->started_ms == at)
        return {};  // this life's start, written before
      // A lesson left open (its node died with its journal) ends where the
      // next life of its classroom begins.
      if (*latest && (*latest)->open)
        if (auto err = end_lesson((*latest)->id, at, "superseded"); err.code != errc::none)
          return err;
      auto made = start_lesson(tenant, classroom, mode_label(ev.created().mode()), at);
      if (!made)
        return made.err();
      lesson = *made;
    } else if (*latest && seq <= (*latest)->last_seq) {
      return {};  // written before (an adopted classroom goes on from its journal)
    } else if (*latest && (*latest)->open) {
      lesson = **latest;
    } else {
      // Events of a classroom whose start this database never saw (adopted
      // from a node with another database): a lesson from here on.
      auto made = start_lesson(tenant, classroom, "", at);
      if (!made)
        return made.err();
      lesson = *made;
    }
    if (auto err = record(lesson.id, ev); err.code != errc::none)
      return err;
    if (auto err = run("UPDATE lessons SET last_seq = ? WHERE id = ?", seq, lesson.id);
        err.code != errc::none)
      return err;
    auto type = webhook_type_of(ev);
    if (type.empty())
      return {};
    auto event_id = lesson.id + "." + std::to_string(ev.seq());
    return enqueue_webhook_event(db_, tenant, event_id, type,
                                 event_body(event_id, type, tenant, classroom, lesson.id, ev), at);
  }

private:
  /// The classroom's newest lesson, open or ended.
  protocol::result<std::optional<lesson_ref>> latest_lesson(const std::string& tenant,
                                                            const std::string& classroom) {
    auto q = db_.prepare("SELECT id, last_seq, started_ms, ended_ms IS NULL FROM lessons WHERE "
                         "tenant = ? AND classroom = ? ORDER BY started_ms DESC LIMIT 1");
    if (!q)
      return q.err();
    q->bind(1, tenant).bind(2, classroom);
    auto row = q->step();
    if (!row)
      return row.err();
    if (!*row)
      return std::optional<lesson_ref>{};
    return std::optional<lesson_ref>{
      lesson_ref{q->text(0), q->integer(1), q->integer(2), q->integer(3) != 0}};
  }

  protocol::result<lesson_ref> start_lesson(const std::string& tenant,
                                            const std::string& classroom,
                                            const std::string& mode, int64_t at) {
    lesson_ref out{"l_" + random_hex(12), 0, at, true};
    if (out.id.size() != 26)
      return protocol::error{errc::internal, "no randomness for a lesson id"};
    if (auto err = run("INSERT INTO lessons (id, tenant, classroom, mode, started_ms, last_seq) "
                       "VALUES (?, ?, ?, ?, ?, 0)",
                       out.id, tenant, classroom, mode, at);
        err.code != errc::none)
      return err;
    return out;
  }

  /// The lesson ends, and with it every stay, hand, call and track still open.
  protocol::error end_lesson(const std::string& lesson, int64_t at, const std::string& reason) {
    const std::pair<const char*, bool> steps[] = {  // statement, takes the reason
      {"UPDATE lessons SET ended_ms = ?, end_reason = ? WHERE id = ? AND ended_ms IS NULL", true},
      {"UPDATE attendance SET left_ms = ?, left_reason = ? WHERE lesson = ? AND left_ms IS NULL",
       true},
      {"UPDATE hands SET lowered_ms = ?, outcome = ? WHERE lesson = ? AND lowered_ms IS NULL",
       true},
      {"UPDATE calls SET ended_ms = ?, outcome = ? WHERE lesson = ? AND ended_ms IS NULL", true},
      {"UPDATE media_tracks SET unpublished_ms = ? WHERE lesson = ? AND unpublished_ms IS NULL",
       false}};
    for (auto [sql, with_reason] : steps)
      if (auto err = with_reason ? run(sql, at, reason, lesson) : run(sql, at, lesson);
          err.code != errc::none)
        return err;
    return {};
  }

  /// Runs one statement with text and integer parameters in order.
  template <class... Args>
  protocol::error run(std::string_view sql, const Args&... args) {
    auto q = db_.prepare(sql);
    if (!q)
      return q.err();
    int i = 0;
    (bind_one(*q, ++i, args), ...);
    return q->run();
  }
  static void bind_one(database::statement& q, int i, const std::string& x) { q.bind(i, x); }
  static void bind_one(database::statement& q, int i, int64_t x) { q.bind(i, x); }

  protocol::error open_stay(const std::string& lesson, const std::string& identity,
                            const std::string& role, const std::string& name, int64_t at) {
    return run("INSERT INTO attendance (lesson, identity, role, display_name, joined_ms) "
               "VALUES (?, ?, ?, ?, ?)",
               lesson, identity, role, name, at);
  }

  protocol::error close_stay(const std::string& lesson, const std::string& identity, int64_t at,
                             const std::string& reason) {
    return run("UPDATE attendance SET left_ms = ?, left_reason = ? WHERE lesson = ? AND "
               "identity = ? AND left_ms IS NULL",
               at, reason, lesson, identity);
  }

  /// Back online: a new stay with the role and name of the last one.
  protocol::error reopen_stay(const std::string& lesson, const std::string& identity, int64_t at) {
    return run("INSERT INTO attendance (lesson, identity, role, display_name, joined_ms) "
               "SELECT lesson, identity, role, display_name, ? FROM attendance WHERE lesson = ? "
               "AND identity = ? AND left_reason = 'offline' AND NOT EXISTS (SELECT 1 FROM "
               "attendance WHERE lesson = ? AND identity = ? AND left_ms IS NULL) "
               "ORDER BY joined_ms DESC LIMIT 1",
               at, lesson, identity, lesson, identity);
  }

  protocol::error record_call(const std::string& lesson, const sig::CallInfo& c, int64_t at) {
    if (auto err = run("INSERT INTO calls (lesson, call_id, caller, callee, started_ms) VALUES "
                       "(?, ?, ?, ?, ?) ON CONFLICT (lesson, call_id) DO NOTHING",
                       lesson, c.call_id(), c.caller(), c.callee(), at);
        err.code != errc::none)
      return err;
    if (c.phase() == sig::CALL_PHASE_CONNECTED)
      return run("UPDATE calls SET answered_ms = ? WHERE lesson = ? AND call_id = ? AND "
                 "answered_ms IS NULL",
                 at, lesson, c.call_id());
    if (c.phase() == sig::CALL_PHASE_ENDED)
      return run("UPDATE calls SET ended_ms = ?, outcome = ? WHERE lesson = ? AND call_id = ? AND "
                 "ended_ms IS NULL",
                 at, call_end_label(static_cast<sig::CallEndReason>(c.reason())), lesson,
                 c.call_id());
    return {};
  }

  protocol::error record(const std::string& lesson, const sig::ClassroomEvent& ev) {
    auto at = ev.at_ms();
    switch (ev.kind_case()) {
      case sig::ClassroomEvent::kMemberJoined: {
        const auto& m = ev.member_joined().member();
        return open_stay(lesson, m.identity(), role_label(m.role()), m.display_name(), at);
      }
      case sig::ClassroomEvent::kMemberLeft:
        return close_stay(lesson, ev.member_left().identity(), at, ev.member_left().reason());
      case sig::ClassroomEvent::kPresence:
        // Minutes present count the time online: offline ends a stay.
        if (ev.presence().presence() == sig::PRESENCE_OFFLINE)
          return close_stay(lesson, ev.presence().identity(), at, "offline");
        return reopen_stay(lesson, ev.presence().identity(), at);
      case sig::ClassroomEvent::kHandRaised:
        return run("INSERT INTO hands (lesson, identity, raised_ms) VALUES (?, ?, ?)", lesson,
                   ev.hand_raised().identity(), at);
      case sig::ClassroomEvent::kHandLowered:
        return run("UPDATE hands SET lowered_ms = ?, outcome = ?, by_identity = ? WHERE lesson = ? "
                   "AND identity = ? AND lowered_ms IS NULL",
                   at, hand_outcome_label(ev.hand_lowered().outcome()), ev.hand_lowered().by(),
                   lesson, ev.hand_lowered().identity());
      case sig::ClassroomEvent::kCall:
        return record_call(lesson, ev.call().call(), at);
      case sig::ClassroomEvent::kTrackPublished: {
        const auto& t = ev.track_published().track();
        return run("INSERT INTO media_tracks (lesson, track_id, publisher, kind, published_ms) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (lesson, track_id) DO NOTHING",
                   lesson, t.track_id(), t.owner(), track_kind_label(t.kind()), at);
      }
      case sig::ClassroomEvent::kTrackUnpublished:
        return run("UPDATE media_tracks SET unpublished_ms = ? WHERE lesson = ? AND track_id = ? "
                   "AND unpublished_ms IS NULL",
                   at, lesson, ev.track_unpublished().track_id());
      case sig::ClassroomEvent::kPhotoTaken: {
        const auto& p = ev.photo_taken();
        return run("INSERT INTO photos (lesson, photo_id, owner, taken_by, command_id, width, "
                   "height, at_ms, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (lesson, photo_id) DO NOTHING",
                   lesson, p.photo_id(), p.owner(), p.taken_by(), p.command_id(),
                   static_cast<int64_t>(p.width()), static_cast<int64_t>(p.height()), at,
                   static_cast<int64_t>(p.bytes()));
      }
      case sig::ClassroomEvent::kDeviceCommand: {
        const auto& d = ev.device_command();
        return run("INSERT INTO device_commands (lesson, command_id, target, requested_by, action, "
                   "outcome, detail, ended_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (lesson, command_id) DO NOTHING",
                   lesson, d.command_id(), d.target(), d.requested_by(), d.action(),
                   device_state_label(d.state()), d.detail(), at);
      }
      case sig::ClassroomEvent::kClosed:
        return end_lesson(lesson, at, ev.closed().reason());
      default:
        return {};  // board, devices, mutes: in the journal, not in the history
    }
  }

  /// The webhook's JSON: what, when, where, and the event's own fields as
  /// protobuf's JSON mapping names them (lowerCamelCase, like the rest of
  /// the API).
  static std::string event_body(const std::string& id, const std::string& type,
                                const std::string& tenant, const std::string& classroom,
                                const std::string& lesson, const sig::ClassroomEvent& ev) {
    sig::ClassroomEvent data_only = ev;
    data_only.clear_seq();
    data_only.clear_at_ms();
    std::string data;
    (void) google::protobuf::util::MessageToJsonString(data_only, &data);
    return "{\"id\":" + json_string(id) + ",\"type\":" + json_string(type)
           + ",\"tenant\":" + json_string(tenant) + ",\"classroom\":" + json_string(classroom)
           + ",\"lesson\":" + json_string(lesson) + ",\"seq\":" + std::to_string(ev.seq())
           + ",\"at\":" + json_string(TimeUtil::ToString(TimeUtil::MillisecondsToTimestamp(ev.at_ms())))
           + ",\"data\":" + data + "}";
  }

  database& db_;
};

} // namespace

std::string webhook_type_of(const sig::ClassroomEvent& ev) {
  switch (ev.kind_case()) {
    case sig::ClassroomEvent::kCreated: return "lesson.started";
    case sig::ClassroomEvent::kClosed: return "lesson.ended";
    case sig::ClassroomEvent::kMemberJoined: return "participant.joined";
    case sig::ClassroomEvent::kMemberLeft: return "participant.left";
    case sig::ClassroomEvent::kHandRaised: return "hand.raised";
    case sig::ClassroomEvent::kPhotoTaken: return "photo.taken";
    case sig::ClassroomEvent::kDeviceCommand:
      return ev.device_command().state() == sig::DEVICE_STATE_DONE ? "" : "device.failed";
    case sig::ClassroomEvent::kCall:
      return ev.call().call().phase() == sig::CALL_PHASE_ENDED ? "call.ended" : "";
    default: return "";
  }
}

protocol::result<std::shared_ptr<history_writer>> history_writer::open(
  const std::string& address, history_options opts) {
  auto db = open_migrated(address, wall_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<history_writer>(new history_writer(std::move(*db), opts));
}

history_writer::history_writer(std::unique_ptr<database> db, history_options opts)
  : db_(std::move(db)), opts_(opts) {
  thread_ = std::thread([this] { run(); });
}

history_writer::~history_writer() { stop(); }

void history_writer::post(const std::string& tenant, const std::string& classroom,
                          const sig::ClassroomEvent& ev) {
  enqueue(item{tenant, classroom_event{classroom, ev}});
}

void history_writer::post_question(const std::string& tenant, const question_event& q) {
  enqueue(item{tenant, q});
}

void history_writer::post_forwarded(const std::string& tenant, const forwarded_sample& s) {
  enqueue(item{tenant, s});
}

void history_writer::enqueue(item it) {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    ++stats_.posted;
    if (queue_.size() >= opts_.max_queued) {
      queue_.pop_front();
      ++stats_.dropped;
      ++settled_;
    }
    queue_.push_back(std::move(it));
  }
  wake_.notify_one();
}

bool history_writer::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mtx_);
  auto target = stats_.posted;
  return written_.wait_for(lock, timeout, [&] { return settled_ >= target; });
}

void history_writer::stop(std::chrono::milliseconds timeout) {
  if (!thread_.joinable())
    return;
  flush(timeout);
  {
    std::lock_guard<std::mutex> lock(mtx_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

history_writer::counters history_writer::stats() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return stats_;
}

void history_writer::run() {
  auto backoff = opts_.retry_backoff;
  int failures = 0;  // in a row
  std::unique_lock<std::mutex> lock(mtx_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_)
      return;
    // The batch leaves the queue while it is written (overflow drops only
    // events still waiting) and goes back to its head if the write fails.
    // After a failure events go one at a time, to find one the database
    // refuses for itself.
    auto n = std::min(queue_.size(), failures > 0 ? std::size_t{1} : opts_.max_batch);
    std::deque<item> batch;
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    auto err = write_batch(batch);
    lock.lock();
    if (err.code == errc::none) {
      failures = 0;
      backoff = opts_.retry_backoff;
      stats_.written += n;
      if (opts_.on_commit)
        opts_.on_commit();
    } else if (err.code != errc::unavailable && n == 1 && ++failures >= 3) {
      // The database is there and refuses this one event each time: it
      // goes (counted), the rest of the history goes on.
      failures = 0;
      ++stats_.rejected;
    } else {
      // The database is locked or gone: wait, keep everything.
      if (err.code == errc::unavailable)
        failures = std::max(failures, 1);
      else if (n > 1)
        failures = 1;
      ++stats_.failed_batches;
      queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
      wake_.wait_for(lock, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, opts_.max_backoff);
      continue;
    }
    settled_ += n;
    written_.notify_all();
  }
}

protocol::error history_writer::write_batch(const std::deque<item>& batch) {
  transaction tx(*db_);
  if (!tx.started())
    return {errc::unavailable, "history: the database is busy or gone"};
  history_tx h(*db_);
  forwarded_totals forwarded;
  for (const auto& it : batch) {
    auto err = std::visit(
      [&](const auto& what) -> protocol::error {
        using T = std::decay_t<decltype(what)>;
        if constexpr (std::is_same_v<T, classroom_event>)
          return h.apply(it.tenant, what.classroom, what.ev);
        else if constexpr (std::is_same_v<T, question_event>)
          return record_question(*db_, it.tenant, what);
        else {
          forwarded.add(it.tenant, what);  // written summed, after the loop
          return {};
        }
      },
      it.what);
    if (err.code != errc::none)
      return err;
  }
  if (auto err = forwarded.write(*db_); err.code != errc::none)
    return err;
  if (auto err = tx.commit(); err.code != errc::none)
    return {errc::unavailable, err.message};  // not the events' fault
  return {};
}

} // namespace lamplight::backend
