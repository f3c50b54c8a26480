#pragma once

// The bytes lamplight's SFU sent a tenant's clients, for its usage (billing):
// media workers meter each client connection, the classroom's media room
// posts what they tell it to the history writer, and it is summed here per
// tenant and UTC day inside the writer's transaction: one upsert per tenant
// and day a batch, however many connections reported.

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "backend/database.hpp"
#include "protocol/errc.hpp"

namespace lamplight::backend {

/// Bytes sent to a classroom's clients since its media's last report.
struct forwarded_sample {
  std::string classroom;
  uint64_t bytes = 0;
  int64_t at_ms = 0;  // counted on the day this falls on
};

/// The samples of one writer batch, summed per tenant and UTC day.
class forwarded_totals {
public:
  void add(const std::string& tenant, const forwarded_sample& s);
  /// Adds each sum to its tenant's day, inside the caller's open
  /// transaction.
  protocol::error write(database& db) const;

private:
  std::map<std::pair<std::string, std::string>, uint64_t> bytes_;  // (tenant, day)
};

} // namespace lamplight::backend
