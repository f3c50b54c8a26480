#pragma once

// The history an institution reads (GET /api/v1/lessons..., /usage): what
// history_writer wrote, as the server API's messages. Every query names the
// tenant: another tenant's lesson id is not found, exactly like one that
// never existed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "backend/database.hpp"
#include "lamplight/api/v1/api.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::backend {

struct lesson_filter {
  std::string classroom;  // empty: all
  int64_t from_ms = 0;    // lessons started in [from_ms, to_ms)
  int64_t to_ms = INT64_MAX;
  uint32_t limit = 100;   // newest first; at most 1000
};

/// Thread-safe (one read connection, serialized).
class history_store {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds: "now" for open stays

  static protocol::result<std::shared_ptr<history_store>> open(const std::string& address,
                                                               clock now_ms = {});

  /// The tenant's Q&A questions asked in [from_ms, to_ms), newest first
  /// (`classroom` filters by the pair's classroom).
  protocol::result<api::v1::QuestionList> questions(const std::string& tenant,
                                                    const lesson_filter& f);
  protocol::result<api::v1::LessonList> lessons(const std::string& tenant,
                                                const lesson_filter& f);
  /// A lesson with its attendance, calls, hands and photos; not_found for
  /// another tenant's.
  protocol::result<api::v1::LessonDetail> lesson(const std::string& tenant, const std::string& id);
  /// Per UTC day in [from_ms, to_ms) (at most 366 days): lessons started,
  /// minutes of stays and of published tracks begun that day, photos taken.
  protocol::result<api::v1::Usage> usage(const std::string& tenant, int64_t from_ms, int64_t to_ms);

private:
  history_store(std::unique_ptr<database> db, clock now_ms)
    : db_(std::move(db)), now_ms_(std::move(now_ms)) {}
  // Expect mtx_ held.
  protocol::error fill_attendance(api::v1::LessonDetail& out, int64_t until_ms);
  protocol::error fill_calls(api::v1::LessonDetail& out);
  protocol::error fill_hands(api::v1::LessonDetail& out, int64_t until_ms);
  protocol::error fill_photos(api::v1::LessonDetail& out);
  protocol::error fill_device_commands(api::v1::LessonDetail& out);

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  clock now_ms_;
};

/// "YYYY-MM-DD" of a UTC instant.
std::string utc_day(int64_t ms);

} // namespace lamplight::backend
