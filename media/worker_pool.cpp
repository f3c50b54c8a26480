#include "media/worker_pool.hpp"

#include <future>
#include <thread>

namespace lamplight::media {

worker_pool::worker_pool(media_worker::config cfg, unsigned count) {
  if (count == 0)
    count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) {
    auto c = cfg;
    if (cfg.port != 0)
      c.port = static_cast<uint16_t>(cfg.port + i);
    workers_.push_back(std::make_shared<media_worker>(c));
  }
}

std::shared_ptr<media_worker> worker_pool::place() {
  // Each classroom holds its worker: use_count - 1 is how many do.
  auto load = [](const std::shared_ptr<media_worker>& w) {
    return std::make_pair(w->peer_count(), w.use_count());
  };
  auto best = workers_.front();
  for (const auto& w : workers_)
    if (load(w) < load(best))
      best = w;
  return best;
}

std::vector<std::optional<media_worker::worker_stats>>
worker_pool::stats(std::chrono::steady_clock::time_point deadline) const {
  std::vector<std::future<media_worker::worker_stats>> asked;
  for (const auto& w : workers_)
    asked.push_back(w->stats_async());
  std::vector<std::optional<media_worker::worker_stats>> out;
  for (auto& f : asked) {
    if (f.wait_until(deadline) != std::future_status::ready) {
      out.emplace_back();
      continue;
    }
    try {
      out.emplace_back(f.get());
    } catch (const std::future_error&) {
      out.emplace_back();  // a worker going away dropped the request
    }
  }
  return out;
}

} // namespace lamplight::media
