#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "media/media_worker.hpp"

namespace lamplight::media {

/// A node's media workers: one thread and one UDP port each, one per core
/// by default. A classroom's peers all live on one worker, so its routes
/// never cross threads (no lock, no hand-off on the packet path); the pool
/// spreads classrooms over workers. A class of 200 is one core's work,
/// which the bench shows it carries.
class worker_pool {
public:
  /// `count` workers (0: one per core). With a fixed `cfg.port`, worker i
  /// binds port + i; with 0, each any free port. Throws std::system_error
  /// if one cannot bind.
  worker_pool(media_worker::config cfg, unsigned count);

  /// The worker for a new classroom: the one with the fewest peers, among
  /// those the fewest classrooms hold.
  std::shared_ptr<media_worker> place();

  const std::vector<std::shared_ptr<media_worker>>& workers() const { return workers_; }

  /// Every worker's counters, asked of all at once and awaited until
  /// `deadline` (a bounded wait however many workers there are); nullopt
  /// for a worker that did not answer by then.
  std::vector<std::optional<media_worker::worker_stats>>
  stats(std::chrono::steady_clock::time_point deadline) const;

private:
  std::vector<std::shared_ptr<media_worker>> workers_;
};

} // namespace lamplight::media
