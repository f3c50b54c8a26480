#pragma once

// The classrooms an institution schedules through the server API (POST
// /api/v1/classrooms): title, mode, capacity, media provider, teacher and
// times. A node starting such a classroom takes its mode, capacity and
// provider from here, not from a join token, and refuses to start one the
// institution ended. Classrooms nobody scheduled still run (a token with a
// mode creates them), without a record.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "backend/database.hpp"
#include "lamplight/api/v1/api.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::backend {

/// Thread-safe. Errors: bad_request (a field out of shape, said which),
/// already_exists, not_found (no such classroom of this tenant), internal.
class classroom_registry {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds

  static protocol::result<std::shared_ptr<classroom_registry>> open(
    const std::string& address, clock now_ms = {});

  /// `r` as the API received it; a capacity of 0 takes the mode's.
  protocol::result<api::v1::Classroom> create(const std::string& tenant,
                                              const api::v1::CreateClassroomRequest& r);
  /// Scheduled to start in [from_ms, to_ms), and those with no start time
  /// (by start, then id; at most 500).
  protocol::result<api::v1::ClassroomList> list(const std::string& tenant, int64_t from_ms,
                                                int64_t to_ms);
  protocol::result<api::v1::Classroom> get(const std::string& tenant, const std::string& id);
  /// Marks it ended (a second time: wrong_state).
  protocol::result<api::v1::Classroom> end(const std::string& tenant, const std::string& id);

  /// For a node starting a classroom: its record, if the tenant made one.
  std::optional<api::v1::Classroom> find(const std::string& tenant, const std::string& id);

private:
  classroom_registry(std::unique_ptr<database> db, clock now_ms)
    : db_(std::move(db)), now_ms_(std::move(now_ms)) {}
  protocol::result<api::v1::Classroom> get_locked(const std::string& tenant, const std::string& id);

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  clock now_ms_;
};

} // namespace lamplight::backend
