#include "backend/question_history.hpp"

#include <google/protobuf/util/time_util.h>

#include "backend/history_labels.hpp"
#include "backend/webhooks.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
namespace sig = signal::v1;
using google::protobuf::util::TimeUtil;

std::string state_label(sig::QnaState s) {
  switch (s) {
    case sig::QNA_STATE_QUEUED: return "queued";
    case sig::QNA_STATE_MATCHED: return "matched";
    case sig::QNA_STATE_EXPIRED: return "expired";
    case sig::QNA_STATE_WITHDRAWN: return "withdrawn";
    default: return "";
  }
}

/// The webhook's JSON, shaped like a classroom event's (the question's step
/// under data.qna; no lesson, seq 0).
std::string body(const std::string& id, const std::string& type, const std::string& tenant,
                 const question_event& q, int64_t asked_ms) {
  double wait_s = static_cast<double>(std::max<int64_t>(0, q.at_ms - asked_ms)) / 1000.0;
  return "{\"id\":" + json_string(id) + ",\"type\":" + json_string(type)
         + ",\"tenant\":" + json_string(tenant) + ",\"classroom\":" + json_string(q.classroom)
         + ",\"lesson\":\"\",\"seq\":0,\"at\":"
         + json_string(TimeUtil::ToString(TimeUtil::MillisecondsToTimestamp(q.at_ms)))
         + ",\"data\":{\"qna\":{\"questionId\":" + json_string(q.question_id)
         + ",\"student\":" + json_string(q.student) + ",\"subject\":" + json_string(q.subject)
         + ",\"teacher\":" + json_string(q.teacher)
         + ",\"waitSeconds\":" + std::to_string(wait_s) + "}}}";
}

} // namespace

protocol::error record_question(database& db, const std::string& tenant,
                                const question_event& q) {
  auto label = state_label(q.state);
  if (label.empty() || q.question_id.empty())
    return {errc::bad_request, "a question step needs an id and a state"};
  // Asked (or first seen): a row. A replayed step changes nothing.
  auto ins = db.prepare(
    "INSERT INTO questions (tenant, id, student, subject, asked_ms, state) "
    "VALUES (?, ?, ?, ?, ?, 'queued') ON CONFLICT (tenant, id) DO NOTHING");
  if (!ins)
    return ins.err();
  if (auto err = ins->bind(1, tenant)
                   .bind(2, q.question_id)
                   .bind(3, q.student)
                   .bind(4, q.subject.substr(0, 128))
                   .bind(5, q.at_ms)
                   .run();
      err.code != errc::none)
    return err;
  if (q.state == sig::QNA_STATE_QUEUED)
    return {};
  auto upd = db.prepare(
    "UPDATE questions SET state = ?, teacher = ?, classroom = ?, ended_ms = ? "
    "WHERE tenant = ? AND id = ? AND state = 'queued'");
  if (!upd)
    return upd.err();
  if (auto err = upd->bind(1, label)
                   .bind(2, q.teacher)
                   .bind(3, q.classroom)
                   .bind(4, q.at_ms)
                   .bind(5, tenant)
                   .bind(6, q.question_id)
                   .run();
      err.code != errc::none)
    return err;
  if (db.changes() != 1 || q.state == sig::QNA_STATE_WITHDRAWN)
    return {};  // settled before (a replay), or nothing to announce
  auto asked = db.prepare("SELECT asked_ms FROM questions WHERE tenant = ? AND id = ?");
  if (!asked)
    return asked.err();
  asked->bind(1, tenant).bind(2, q.question_id);
  auto row = asked->step();
  if (!row)
    return row.err();
  auto asked_ms = *row ? asked->integer(0) : q.at_ms;
  auto type = "qna." + label;
  auto id = "qna." + q.question_id + "." + label;
  return enqueue_webhook_event(db, tenant, id, type, body(id, type, tenant, q, asked_ms), q.at_ms);
}

} // namespace lamplight::backend
