#pragma once

// Delivers the webhook outbox: worker threads claim due rows with a lease
// (so several dispatchers, on several nodes, share one outbox), POST them
// signed, and record every attempt; failures are retried with exponential
// backoff until max_attempts.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend/database.hpp"
#include "backend/webhooks.hpp"
#include "protocol/errc.hpp"
#include "transport/http_client.hpp"

namespace lamplight::backend {

/// How a request goes out: transport::http_post, or a stand-in in tests.
using webhook_post_function = std::function<protocol::result<transport::http_reply>(
  const std::string& url, const transport::http_headers& headers, const std::string& body,
  const transport::http_post_options& options)>;

struct webhook_dispatcher_config {
  /// How often an idle worker looks for due rows (wake() looks at once).
  std::chrono::milliseconds poll_interval{1000};
  /// Worker threads: deliveries in flight at once. One endpoint has at most
  /// one in flight (across every dispatcher on the database), so a slow or
  /// dead receiver holds one worker, for one timeout at a time.
  unsigned concurrency = 4;
  std::chrono::milliseconds request_timeout{5000};
  /// Attempts per event and endpoint before its row is failed.
  int64_t max_attempts = 12;
  /// The delay after the n-th failed attempt is base * 2^(n-1), at most
  /// cap, less a random part of up to `jitter` of it (so receivers that
  /// come back are not hit by every retry at once).
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{3600 * 1000};
  double jitter = 0.2;
  /// A claimed row is another dispatcher's again after this long: a node
  /// that died mid-delivery delays its rows by at most the lease. Must be
  /// longer than request_timeout (a live delivery must not lose its lease).
  std::chrono::milliseconds lease{60'000};
  webhook_policy policy;
  /// Empty: the system's CA store verifies https receivers.
  std::string ca_file;
  /// Both are called from every worker thread at once.
  std::function<int64_t()> now_ms;  // wall milliseconds; empty: wall_ms
  webhook_post_function post;       // empty: transport::http_post
};

/// For metrics: counts since this dispatcher was opened.
struct webhook_dispatcher_stats {
  uint64_t delivered = 0;        // attempts answered 2xx
  uint64_t failed_attempts = 0;  // attempts that were not (refusals included)
  uint64_t given_up = 0;         // rows failed after max_attempts
  uint64_t database_errors = 0;  // claims or records the database refused
};

/// Delivers the outbox of the node's database file (its own connection).
/// At least once: a receiver may see an event again (a lost answer, a
/// lease that ran out) and tells by its Lamplight-Event-Id.
class webhook_dispatcher {
public:
  /// Opens (creating and migrating) the database file; no thread yet.
  /// errc::bad_request for a config out of shape.
  static protocol::result<std::unique_ptr<webhook_dispatcher>>
  open(const std::string& address, webhook_dispatcher_config cfg = {});
  ~webhook_dispatcher();
  webhook_dispatcher(const webhook_dispatcher&) = delete;
  webhook_dispatcher& operator=(const webhook_dispatcher&) = delete;

  /// Starts the worker threads. Idempotent.
  void start();
  /// Stops and joins them: at once for idle workers, after its request
  /// (at most request_timeout) for a busy one. Rows in flight keep their
  /// lease and are delivered again after it. Idempotent.
  void stop();
  /// Something was enqueued: idle workers look now, not at the next poll.
  void wake();

  /// Delivers due rows on the calling thread, one at a time, until none is
  /// due at the clock's now or `max` attempts were made; returns the number
  /// of attempts. For tests and tools (no thread needed).
  std::size_t run_once(std::size_t max = std::numeric_limits<std::size_t>::max());

  webhook_dispatcher_stats stats() const;

  /// The delay before attempt n+1 after n failed ones, jitter `u` in [0, 1)
  /// (0: the full delay).
  static int64_t backoff_ms(const webhook_dispatcher_config& cfg, int64_t failed_attempts,
                            double u);

private:
  /// A row this dispatcher holds the lease of, with what sending needs.
  struct claim {
    std::string id;
    std::string endpoint;
    std::string tenant;
    std::string event_id;
    std::string event_type;
    std::string body;
    std::string url;
    std::string secret;
    int64_t lease_until_ms = 0;
    int64_t started_ms = 0;
  };
  /// An attempt's outcome.
  struct outcome {
    int64_t status_code = 0;
    std::string error;
    int64_t duration_ms = 0;
    bool ok() const { return status_code >= 200 && status_code < 300; }
  };

  webhook_dispatcher(std::unique_ptr<database> db, webhook_dispatcher_config cfg);
  /// The next due row, leased; nullopt if none (or the database failed).
  std::optional<claim> claim_next(int64_t now);
  outcome send(const claim& c);
  void record(const claim& c, const outcome& o);
  /// One claim, send and record; false if nothing was due.
  bool deliver_one();
  void worker();
  double next_jitter();

  webhook_dispatcher_config cfg_;
  std::mutex db_mtx_;
  std::unique_ptr<database> db_;

  std::mutex run_mtx_;
  std::condition_variable wake_cv_;
  uint64_t wakes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;

  std::mutex rng_mtx_;
  std::mt19937_64 rng_;

  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  std::atomic<uint64_t> given_up_{0};
  std::atomic<uint64_t> database_errors_{0};
};

} // namespace lamplight::backend
