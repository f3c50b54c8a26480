#pragma once

// What happened in each lesson, written to the database off the classroom's
// thread: classrooms post their events (the same ClassroomEvents their
// journals hold), a writer thread turns them, in batches of one transaction
// each, into the history an institution reads through the server API
// (lessons, attendance, calls, hands, photos, media tracks) and into the
// webhook outbox (backend/webhooks.hpp), in that same transaction: nothing
// recorded goes unannounced, nothing announced goes unrecorded.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "backend/database.hpp"
#include "backend/forwarded_usage.hpp"
#include "backend/question_history.hpp"
#include "protocol/errc.hpp"
#include "lamplight/signal/v1/classroom.pb.h"

namespace lamplight::backend {

/// The webhook event type a classroom event is announced as, "" for none
/// (whiteboard strokes, device and presence changes stay in the journal).
std::string webhook_type_of(const signal::v1::ClassroomEvent& ev);

struct history_options {
  /// Events waiting past this many: the oldest go (counted in `dropped`).
  /// History freshness is what a database outage costs, never a lesson,
  /// and never the node's memory.
  std::size_t max_queued = 200000;
  /// Events per transaction.
  std::size_t max_batch = 500;
  /// After a failed batch (the database locked or gone), the writer waits
  /// this long, doubling up to `max_backoff`, and tries the same batch again.
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  /// Called (on the writer's thread) after each committed batch: the
  /// webhook dispatcher looks at the outbox now, not at its next poll.
  std::function<void()> on_commit;
};

/// Thread-safe. `post` never waits for the database: it only queues.
class history_writer {
public:
  static protocol::result<std::shared_ptr<history_writer>> open(const std::string& address,
                                                                history_options opts = {});
  ~history_writer();
  history_writer(const history_writer&) = delete;
  history_writer& operator=(const history_writer&) = delete;

  /// Queues one event of a classroom. Events of one classroom must come in
  /// seq order (a classroom's actor posts them as it commits them); an
  /// event at or below the lesson's last written seq is a duplicate
  /// (an adopted classroom's replay) and is skipped.
  void post(const std::string& tenant, const std::string& classroom,
            const signal::v1::ClassroomEvent& ev);

  /// Queues a step of a tenant's Q&A question (question_history.hpp).
  void post_question(const std::string& tenant, const question_event& q);

  /// Queues bytes the SFU sent a classroom's clients (forwarded_usage.hpp).
  void post_forwarded(const std::string& tenant, const forwarded_sample& s);

  /// Waits (at most `timeout`) until everything posted before the call is
  /// written; false on timeout. For shutdown and tests.
  bool flush(std::chrono::milliseconds timeout);

  /// Writes what is queued (bounded by `timeout`) and stops the thread.
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  struct counters {
    uint64_t posted = 0;
    uint64_t written = 0;
    uint64_t dropped = 0;         // queue overflow
    uint64_t failed_batches = 0;  // rolled back and retried
    uint64_t rejected = 0;        // an event the database refused three times alone
  };
  counters stats() const;

private:
  /// A classroom's event, its journal's seq order kept.
  struct classroom_event {
    std::string classroom;
    signal::v1::ClassroomEvent ev;
  };
  struct item {
    std::string tenant;
    std::variant<classroom_event, question_event, forwarded_sample> what;
  };
  void enqueue(item it);
  history_writer(std::unique_ptr<database> db, history_options opts);
  void run();
  protocol::error write_batch(const std::deque<item>& batch);

  std::unique_ptr<database> db_;  // the writer thread's alone
  history_options opts_;
  mutable std::mutex mtx_;
  std::condition_variable wake_;     // the writer: work or stop
  std::condition_variable written_;  // flush: progress
  std::deque<item> queue_;
  // flush waits until `settled` (written or dropped) reaches what was
  // `posted` when it was called.
  uint64_t settled_ = 0;
  bool stop_ = false;
  counters stats_;
  std::thread thread_;
};

} // namespace lamplight::backend
