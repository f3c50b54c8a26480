#pragma once

// The Q&A questions of a tenant in its history: each step its dispatcher
// takes (asked, matched with a teacher, expired, withdrawn) is posted to the
// history writer and recorded here, inside the writer's transaction, with
// the qna.matched and qna.expired webhooks queued in that same transaction.

#include <cstdint>
#include <string>

#include "backend/database.hpp"
#include "lamplight/signal/v1/workflow.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::backend {

/// One step of a question, as its tenant's dispatcher takes it.
struct question_event {
  std::string question_id;  // unique in the tenant
  std::string student;
  std::string subject;
  /// QUEUED: asked; MATCHED: a teacher answers (teacher, classroom set);
  /// EXPIRED: no pairing could be made; WITHDRAWN: the student took it back.
  signal::v1::QnaState state = signal::v1::QNA_STATE_UNSPECIFIED;
  std::string teacher;
  std::string classroom;
  int64_t at_ms = 0;
};

/// Records `q` on `db`, inside the caller's open transaction. A step for a
/// question this database never saw asked is recorded as asked then.
protocol::error record_question(database& db, const std::string& tenant,
                                const question_event& q);

} // namespace lamplight::backend
