#include "backend/forwarded_usage.hpp"

#include "backend/history_queries.hpp"

namespace lamplight::backend {

protocol::error record_forwarded(database& db, const std::string& tenant,
                                 const forwarded_sample& s) {
  auto q = db.prepare("INSERT INTO forwarded_bytes (tenant, day, bytes) VALUES (?, ?, ?) "
                      "ON CONFLICT (tenant, day) DO UPDATE SET "
                      "bytes = forwarded_bytes.bytes + excluded.bytes");
  if (!q)
    return q.err();
  return q->bind(1, tenant).bind(2, utc_day(s.at_ms)).bind(3, static_cast<int64_t>(s.bytes)).run();
}

} // namespace lamplight::backend
