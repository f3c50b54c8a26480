#pragma once

// What a node tells operators: the Prometheus text exposition of GET
// /metrics and the JSON of GET /admin/status, both from one node_status
// (the directory's) plus the media workers' counters and the process's own
// resource use. Formatting is pure, so it is unit-tested without a node.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/base/messages.hpp"
#include "media/worker_pool.hpp"

namespace lamplight::node {

/// Content-Type of the text exposition format, version 0.0.4.
inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4";

/// The process's own resource use.
struct process_usage {
  uint64_t resident_bytes = 0;  // /proc/self/statm: resident pages x page size
  double cpu_seconds = 0;       // getrusage: user + system, every thread
};
process_usage read_process_usage();

/// The media workers' counters, per worker (pool order) and summed.
struct media_totals {
  std::vector<media::media_worker::worker_stats> workers;
  /// false: the worker did not answer in time; its last answer is used.
  std::vector<bool> answered;
  media::media_worker::worker_stats sum;
  uint32_t stalled() const;
};

/// Asks a pool's workers for their counters with a deadline and keeps each
/// worker's last answer, so that one that misses a scrape shows what it
/// last said instead of zeros: counters never go backwards. Thread-safe
/// (several HTTP threads may scrape at once).
class media_counters {
public:
  explicit media_counters(std::shared_ptr<media::worker_pool> pool);
  media_totals collect(std::chrono::steady_clock::time_point deadline);

private:
  std::shared_ptr<media::worker_pool> pool_;
  std::mutex mtx_;
  std::vector<media::media_worker::worker_stats> last_;
};

/// Adds every counter of `x` to `into`.
void add_to(media::media_worker::worker_stats& into, const media::media_worker::worker_stats& x);

/// GET /metrics: every family with # HELP and # TYPE, label values escaped,
/// every call outcome and error code listed (zero included), so series
/// exist before their first event.
std::string render_metrics(const actors::node_status& st, const media_totals& media,
                           const process_usage& proc);

/// GET /admin/status: the same facts as JSON for operators.
std::string render_admin_status(const actors::node_status& st, const media_totals& media,
                                const process_usage& proc);

/// Whether /admin/status answers a client: from loopback always, from
/// anywhere else only with --admin-bind-any (it names every tenant's
/// classrooms).
bool admin_allowed(bool remote_is_loopback, bool admin_bind_any);

} // namespace lamplight::node
