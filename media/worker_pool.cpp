#include "media/worker_pool.hpp"

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

} // namespace lamplight::media
