#include "backend/forwarded_usage.hpp"

#include "backend/history_queries.hpp"

namespace lamplight::backend {

void forwarded_totals::add(const std::string& tenant, const forwarded_sample& s) {
  bytes_[{tenant, utc_day(s.at_ms)}] += s.bytes;
}

protocol::error forwarded_totals::write(database& db) const {
  for (const auto& [key, bytes] : bytes_) {
    auto q = db.prepare("INSERT INTO forwarded_bytes (tenant, day, bytes) VALUES (?, ?, ?) "
                        "ON CONFLICT (tenant, day) DO UPDATE SET "
                        "bytes = forwarded_bytes.bytes + excluded.bytes");
    if (!q)
      return q.err();
    if (auto err = q->bind(1, key.first).bind(2, key.second).bind(3, static_cast<int64_t>(bytes)).run();
        err.code != protocol::errc::none)
      return err;
  }
  return {};
}

} // namespace lamplight::backend
