// The history, written off the classroom's thread and read back as the
// server API shows it: lessons, attendance with minutes present, calls,
// hands, photos, usage per day; duplicates skipped, tenants kept apart, the
// webhook outbox filled in the same transaction, and a database that is
// locked for a while costing freshness, not events.
#include <boost/test/unit_test.hpp>

#include "lamplight/signal/v1/workflow.pb.h"

#include "backend/history_queries.hpp"
#include "backend/history_writer.hpp"
#include "backend/database.hpp"
#include "backend/tenant_registry.hpp"
#include "backend/webhooks.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
namespace sig = lamplight::signal::v1;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;
using namespace std::chrono_literals;

namespace {

constexpr int64_t t0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr int64_t minute = 60'000;

/// Builds a classroom's events with seq and time, as its actor would.
struct classroom_events {
  std::string tenant, classroom;
  uint64_t seq = 0;
  std::vector<sig::ClassroomEvent> out;

  sig::ClassroomEvent& next(int64_t at) {
    out.emplace_back();
    out.back().set_seq(++seq);
    out.back().set_at_ms(at);
    return out.back();
  }
  void created(int64_t at) {
    auto* c = next(at).mutable_created();
    c->set_tenant(tenant);
    c->set_classroom_id(classroom);
    c->set_mode(sig::MODE_ONE_ON_ONE);
  }
  void joined(int64_t at, const std::string& who, sig::Role role) {
    auto* m = next(at).mutable_member_joined()->mutable_member();
    m->set_identity(who);
    m->set_display_name("Name of " + who);
    m->set_role(role);
  }
  void left(int64_t at, const std::string& who) {
    auto* l = next(at).mutable_member_left();
    l->set_identity(who);
    l->set_reason("left");
  }
  void presence(int64_t at, const std::string& who, sig::Presence p) {
    auto* x = next(at).mutable_presence();
    x->set_identity(who);
    x->set_presence(p);
  }
  void call(int64_t at, const std::string& id, sig::CallPhase phase,
            sig::CallEndReason reason = sig::CALL_END_UNSPECIFIED) {
    auto* c = next(at).mutable_call()->mutable_call();
    c->set_call_id(id);
    c->set_caller("t-1");
    c->set_callee("s-1");
    c->set_phase(phase);
    c->set_reason(reason);
  }
  void closed(int64_t at) { next(at).mutable_closed()->set_reason("ended by the API"); }
  void command_ended(int64_t at, const std::string& id, const std::string& action,
                     sig::DeviceCommandState state, const std::string& detail) {
    auto* d = next(at).mutable_device_command();
    d->set_command_id(id);
    d->set_target("s-1");
    d->set_requested_by("t-1");
    d->set_action(action);
    d->set_state(state);
    d->set_detail(detail);
  }
};

/// Another writer holding what the history writer needs: SQLite's write
/// lock (the whole file); PostgreSQL: the lessons table, locked against
/// writes (each batch's first write waits on it).
struct held_writes {
  transaction tx;
  explicit held_writes(database& db) : tx(db) {
    BOOST_REQUIRE(tx.started());
    if (db.kind() == database_kind::postgres)
      BOOST_REQUIRE((db.exec("LOCK TABLE lessons IN EXCLUSIVE MODE").code
                     == lamplight::protocol::errc::none));
  }
};

struct history_fixture {
  temp_dir dir;
  int64_t now = t0 + 120 * minute;
  std::string file = lamplight::test::test_database(dir);
  std::shared_ptr<tenant_registry> tenants = must(tenant_registry::open(file, [this] { return now; }));
  std::shared_ptr<history_writer> writer = must(history_writer::open(file));
  std::shared_ptr<history_store> store = must(history_store::open(file, [this] { return now; }));

  template <class T>
  static T must(lamplight::protocol::result<T> r) {
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
    return std::move(*r);
  }

  void post(const classroom_events& c) {
    for (const auto& ev : c.out)
      writer->post(c.tenant, c.classroom, ev);
    BOOST_REQUIRE(writer->flush(10s));
  }

  /// A lesson of acme/math-1: teacher and student, a call, a hand, a
  /// dropped connection.
  classroom_events lesson() {
    classroom_events c{"acme", "math-1", 0, {}};
    c.created(t0);
    c.joined(t0 + minute, "t-1", sig::ROLE_TEACHER);
    c.joined(t0 + 2 * minute, "s-1", sig::ROLE_STUDENT);
    c.next(t0 + 3 * minute).mutable_hand_raised()->set_identity("s-1");
    auto& lowered = *c.next(t0 + 4 * minute).mutable_hand_lowered();
    lowered.set_identity("s-1");
    lowered.set_outcome(sig::HAND_OUTCOME_ACCEPTED);
    lowered.set_by("t-1");
    c.call(t0 + 4 * minute, "call-1", sig::CALL_PHASE_RINGING);
    c.call(t0 + 5 * minute, "call-1", sig::CALL_PHASE_CONNECTED);
    c.call(t0 + 15 * minute, "call-1", sig::CALL_PHASE_ENDED, sig::CALL_END_HANGUP);
    c.presence(t0 + 20 * minute, "s-1", sig::PRESENCE_OFFLINE);
    c.presence(t0 + 25 * minute, "s-1", sig::PRESENCE_ONLINE);
    auto& photo = *c.next(t0 + 30 * minute).mutable_photo_taken();
    photo.set_photo_id("p-1");
    photo.set_owner("s-1");
    photo.set_taken_by("t-1");
    photo.set_command_id("cmd-1");
    photo.set_width(1920);
    photo.set_height(1080);
    c.command_ended(t0 + 30 * minute, "cmd-1", "capture_photo", sig::DEVICE_STATE_DONE, "p-1");
    c.command_ended(t0 + 31 * minute, "cmd-2", "switch_camera", sig::DEVICE_STATE_FAILED,
                    "camera unplugged");
    c.left(t0 + 40 * minute, "s-1");
    c.closed(t0 + 45 * minute);
    return c;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(history, history_fixture)

BOOST_AUTO_TEST_CASE(a_lesson_is_read_back_with_attendance_calls_hands_and_photos) {
  post(lesson());
  auto list = store->lessons("acme", {});
  BOOST_REQUIRE(bool(list));
  BOOST_REQUIRE(list->lessons_size() == 1);
  const auto& l = list->lessons(0);
  BOOST_TEST(l.classroom() == "math-1");
  BOOST_TEST(l.mode() == "one_on_one");
  BOOST_TEST(l.participants() == 2u);
  BOOST_TEST(l.has_ended_at());
  BOOST_TEST(l.end_reason() == "ended by the API");

  auto d = store->lesson("acme", l.id());
  BOOST_REQUIRE(bool(d));
  BOOST_REQUIRE(d->attendance_size() == 2);
  // Ordered by identity: s-1, then t-1.
  const auto& s = d->attendance(0);
  BOOST_TEST(s.identity() == "s-1");
  BOOST_TEST(s.role() == "student");
  BOOST_TEST(s.display_name() == "Name of s-1");
  BOOST_REQUIRE(s.stays_size() == 2);  // offline from 20 to 25 splits the stay
  BOOST_TEST(s.stays(0).left_reason() == "offline");
  BOOST_TEST(s.minutes_present() == 18.0 + 15.0);  // 2..20 and 25..40
  const auto& t = d->attendance(1);
  BOOST_TEST(t.identity() == "t-1");
  BOOST_TEST(t.minutes_present() == 44.0);  // 1..45: closed by the lesson's end

  BOOST_REQUIRE(d->calls_size() == 1);
  BOOST_TEST(d->calls(0).outcome() == "hangup");
  BOOST_TEST(d->calls(0).talk_seconds() == 600.0);
  BOOST_REQUIRE(d->hands_size() == 1);
  BOOST_TEST(d->hands(0).outcome() == "accepted");
  BOOST_TEST(d->hands(0).by() == "t-1");
  BOOST_TEST(d->hands(0).wait_seconds() == 60.0);
  BOOST_REQUIRE(d->photos_size() == 1);
  BOOST_TEST(d->photos(0).width() == 1920u);
  BOOST_TEST(d->photos(0).owner() == "s-1");
  BOOST_REQUIRE(d->device_commands_size() == 2);
  BOOST_TEST(d->device_commands(0).command_id() == "cmd-1");
  BOOST_TEST(d->device_commands(0).outcome() == "done");
  BOOST_TEST(d->device_commands(1).action() == "switch_camera");
  BOOST_TEST(d->device_commands(1).outcome() == "failed");
  BOOST_TEST(d->device_commands(1).detail() == "camera unplugged");
  BOOST_TEST(d->device_commands(1).requested_by() == "t-1");

  auto st = writer->stats();
  BOOST_TEST(st.written == lesson().out.size());
  BOOST_TEST(st.dropped == 0u);
  BOOST_TEST(st.rejected == 0u);
}

BOOST_AUTO_TEST_CASE(another_tenants_lesson_is_not_found_like_a_missing_one) {
  post(lesson());
  auto list = store->lessons("acme", {});
  BOOST_REQUIRE(bool(list));
  BOOST_REQUIRE(list->lessons_size() == 1);
  auto id = list->lessons(0).id();
  auto theirs = store->lesson("beta", id);
  auto missing = store->lesson("beta", "l_000000000000000000000000");
  BOOST_TEST((!theirs && theirs.err().code == errc::not_found));
  BOOST_TEST((!missing && missing.err().code == errc::not_found));
  BOOST_TEST(store->lessons("beta", {})->lessons_size() == 0);
  BOOST_TEST(store->usage("beta", t0 - 86400000, t0 + 86400000)->days_size() == 0);
}

BOOST_AUTO_TEST_CASE(events_written_before_are_skipped_and_a_new_life_is_a_new_lesson) {
  auto c = lesson();
  post(c);
  post(c);  // an adopted classroom's node posting again what was written
  auto d1 = store->lessons("acme", {});
  BOOST_REQUIRE(d1->lessons_size() == 1);
  auto detail = store->lesson("acme", d1->lessons(0).id());
  BOOST_TEST(detail->attendance(0).stays_size() == 2);
  BOOST_TEST(detail->calls_size() == 1);

  classroom_events again{"acme", "math-1", 0, {}};
  again.created(t0 + 60 * minute);
  again.joined(t0 + 61 * minute, "t-1", sig::ROLE_TEACHER);
  post(again);
  auto d2 = store->lessons("acme", {});
  BOOST_REQUIRE(d2->lessons_size() == 2);
  BOOST_TEST(!d2->lessons(0).has_ended_at());  // newest first, still running
  auto running = store->lesson("acme", d2->lessons(0).id());
  BOOST_TEST(running->attendance(0).minutes_present() == 59.0);  // 61 .. now (120)
}

BOOST_AUTO_TEST_CASE(events_of_a_classroom_whose_start_was_not_seen_open_a_lesson) {
  classroom_events c{"acme", "adopted", 0, {}};
  c.seq = 41;  // the first 41 were written by a node with another database
  c.joined(t0, "s-2", sig::ROLE_STUDENT);
  post(c);
  auto list = store->lessons("acme", {"adopted"});
  BOOST_REQUIRE(list->lessons_size() == 1);
  BOOST_TEST(list->lessons(0).participants() == 1u);
}

BOOST_AUTO_TEST_CASE(usage_counts_minutes_and_photos_per_day) {
  post(lesson());
  auto u = store->usage("acme", t0 - 86400000, t0 + 86400000);
  BOOST_REQUIRE(bool(u));
  BOOST_REQUIRE(u->days_size() == 1);
  BOOST_TEST(u->days(0).day() == utc_day(t0));
  BOOST_TEST(u->days(0).lessons() == 1u);
  BOOST_TEST(u->days(0).participant_minutes() == 44.0 + 33.0);
  BOOST_TEST(u->days(0).photos() == 1u);
  auto too_long = store->usage("acme", t0, t0 + 400LL * 86400000);
  BOOST_TEST((!too_long && too_long.err().code == errc::bad_request));
}

BOOST_AUTO_TEST_CASE(forwarded_bytes_add_up_per_tenant_and_day) {
  const int64_t day = 86400000;
  writer->post_forwarded("acme", {"math-1", 1000, t0});
  writer->post_forwarded("acme", {"art-2", 234, t0 + 1});
  writer->post_forwarded("acme", {"math-1", 5'000'000'000, t0 + day});  // past 32 bits
  writer->post_forwarded("beta", {"math-1", 77, t0});
  BOOST_REQUIRE(writer->flush(10s));
  writer->post_forwarded("acme", {"math-1", 66, t0 + 2});  // another batch, same day
  BOOST_REQUIRE(writer->flush(10s));
  auto u = must(store->usage("acme", t0 - day, t0 + 2 * day));
  BOOST_REQUIRE(u.days_size() == 2);
  BOOST_TEST(u.days(0).day() == utc_day(t0));
  BOOST_TEST(u.days(0).forwarded_bytes() == 1300u);
  BOOST_TEST(u.days(1).day() == utc_day(t0 + day));
  BOOST_TEST(u.days(1).forwarded_bytes() == 5'000'000'000u);
  // Days outside the range, and other tenants, are not counted.
  BOOST_TEST(must(store->usage("acme", t0 + day, t0 + 2 * day)).days_size() == 1);
  BOOST_TEST(must(store->usage("beta", t0 - day, t0 + 2 * day)).days(0).forwarded_bytes() == 77u);
}

BOOST_AUTO_TEST_CASE(names_with_sql_in_them_are_stored_as_they_are) {
  classroom_events c{"acme", "x'); DROP TABLE lessons; --", 0, {}};
  c.created(t0);
  c.joined(t0, "Robert'); DROP TABLE attendance;--", sig::ROLE_STUDENT);
  post(c);
  auto list = store->lessons("acme", {});
  BOOST_REQUIRE(list->lessons_size() == 1);
  BOOST_TEST(list->lessons(0).classroom() == "x'); DROP TABLE lessons; --");
  auto d = store->lesson("acme", list->lessons(0).id());
  BOOST_TEST(d->attendance(0).identity() == "Robert'); DROP TABLE attendance;--");
}

BOOST_AUTO_TEST_CASE(the_webhook_outbox_is_filled_in_the_same_transaction) {
  BOOST_REQUIRE(bool(tenants->create_tenant("acme", "Acme")));
  webhook_policy policy;
  policy.allow_loopback = true;
  auto hooks = must(webhook_registry::open(file, policy, [this] { return now; }));
  auto joined_only = hooks->create("acme", "http://127.0.0.1:9/hook", {"participant.joined"});
  BOOST_REQUIRE_MESSAGE(bool(joined_only), (joined_only ? "" : joined_only.err().message));
  post(lesson());
  auto db = must(database::open(file));
  auto q = must(db->prepare("SELECT event_type, body FROM webhook_outbox ORDER BY created_ms"));
  std::vector<std::string> types;
  std::string first_body;
  while (*q.step()) {
    types.push_back(q.text(0));
    if (first_body.empty())
      first_body = q.text(1);
  }
  BOOST_TEST(types == (std::vector<std::string>{"participant.joined", "participant.joined"}));
  BOOST_TEST(first_body.find("\"type\":\"participant.joined\"") != std::string::npos);
  BOOST_TEST(first_body.find("\"classroom\":\"math-1\"") != std::string::npos);
  BOOST_TEST(first_body.find("\"identity\":\"t-1\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(only_failed_device_commands_are_announced) {
  BOOST_REQUIRE(bool(tenants->create_tenant("acme", "Acme")));
  webhook_policy policy;
  policy.allow_loopback = true;
  auto hooks = must(webhook_registry::open(file, policy, [this] { return now; }));
  BOOST_REQUIRE(bool(hooks->create("acme", "http://127.0.0.1:9/hook", {"device.failed"})));
  post(lesson());
  auto db = must(database::open(file));
  auto q = must(db->prepare("SELECT event_type, body FROM webhook_outbox"));
  std::vector<std::string> bodies;
  while (*q.step()) {
    BOOST_TEST(q.text(0) == "device.failed");
    bodies.push_back(q.text(1));
  }
  BOOST_REQUIRE(bodies.size() == 1u);
  BOOST_TEST(bodies[0].find(R"("commandId":"cmd-2")") != std::string::npos, bodies[0]);
  BOOST_TEST(bodies[0].find(R"("state":"DEVICE_STATE_FAILED")") != std::string::npos, bodies[0]);
}

BOOST_AUTO_TEST_CASE(qna_questions_are_recorded_with_their_wait_and_announced) {
  BOOST_REQUIRE(bool(tenants->create_tenant("acme", "Acme")));
  webhook_policy policy;
  policy.allow_loopback = true;
  auto hooks = must(webhook_registry::open(file, policy, [this] { return now; }));
  BOOST_REQUIRE(bool(hooks->create("acme", "http://127.0.0.1:9/hook", {"*"})));
  auto step = [&](const std::string& id, sig::QnaState state, int64_t at,
                  const std::string& teacher = "", const std::string& classroom = "") {
    writer->post_question("acme", question_event{id, "s-" + id, "math", state, teacher, classroom, at});
  };
  step("q-a", sig::QNA_STATE_QUEUED, t0);
  step("q-a", sig::QNA_STATE_MATCHED, t0 + 90'000, "t-1", "qna-q-a");
  step("q-a", sig::QNA_STATE_MATCHED, t0 + 95'000, "t-2", "qna-q-a");  // a replay: nothing new
  step("q-b", sig::QNA_STATE_QUEUED, t0 + minute);
  step("q-b", sig::QNA_STATE_EXPIRED, t0 + 2 * minute);
  step("q-c", sig::QNA_STATE_QUEUED, t0 + 3 * minute);
  step("q-c", sig::QNA_STATE_WITHDRAWN, t0 + 4 * minute);
  step("q-d", sig::QNA_STATE_QUEUED, t0 + 5 * minute);
  BOOST_REQUIRE(writer->flush(10s));
  auto list = must(store->questions("acme", {}));
  BOOST_REQUIRE(list.questions_size() == 4);
  BOOST_TEST(list.questions(0).id() == "q-d");  // newest first
  BOOST_TEST(list.questions(0).state() == "queued");
  BOOST_TEST(list.questions(0).wait_seconds() == static_cast<double>(now - t0 - 5 * minute) / 1000);
  const auto& a = list.questions(3);
  BOOST_TEST(a.state() == "matched");
  BOOST_TEST(a.teacher() == "t-1");
  BOOST_TEST(a.classroom() == "qna-q-a");
  BOOST_TEST(a.wait_seconds() == 90.0);
  BOOST_TEST(list.questions(2).state() == "expired");
  BOOST_TEST(list.questions(1).state() == "withdrawn");
  BOOST_TEST(must(store->questions("beta", {})).questions_size() == 0);
  lesson_filter only;
  only.classroom = "qna-q-a";
  BOOST_TEST(must(store->questions("acme", only)).questions_size() == 1);

  auto db = must(database::open(file));
  auto q = must(db->prepare("SELECT event_type, body FROM webhook_outbox ORDER BY event_type"));
  std::vector<std::string> types, bodies;
  while (*q.step()) {
    types.push_back(q.text(0));
    bodies.push_back(q.text(1));
  }
  BOOST_TEST(types == (std::vector<std::string>{"qna.expired", "qna.matched"}));
  BOOST_REQUIRE(bodies.size() == 2u);
  BOOST_TEST(bodies[1].find(R"("waitSeconds":90)") != std::string::npos, bodies[1]);
  BOOST_TEST(bodies[1].find(R"("teacher":"t-1")") != std::string::npos, bodies[1]);
}

BOOST_AUTO_TEST_CASE(a_locked_database_delays_history_and_loses_nothing) {
  history_options o;
  o.retry_backoff = 5ms;
  o.max_backoff = 20ms;
  auto locked = lamplight::test::test_database(dir, "locked.db");
  auto slow = must(history_writer::open(locked, o));
  auto blocker = must(database::open(locked));
  {
    // Another writer holds what the history writer needs: nothing commits.
    held_writes held(*blocker);
    auto c = lesson();
    for (const auto& ev : c.out)
      slow->post(c.tenant, c.classroom, ev);
    BOOST_TEST(!slow->flush(300ms));
  }  // released
  BOOST_REQUIRE(slow->flush(20s));
  // The writer waited on the lock (the database's busy timeout, then a
  // retried batch if the lock outlived it): delayed, nothing lost.
  auto st = slow->stats();
  BOOST_TEST(st.written == lesson().out.size());
  BOOST_TEST(st.dropped == 0u);
  auto reader = must(history_store::open(locked, [this] { return now; }));
  BOOST_TEST(reader->lessons("acme", {})->lessons_size() == 1);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_the_oldest_and_counts_them) {
  history_options o;
  o.max_queued = 4;
  o.retry_backoff = 5ms;
  o.max_backoff = 10ms;
  auto file = lamplight::test::test_database(dir, "small.db");
  auto small = must(history_writer::open(file, o));
  auto blocker = must(database::open(file));
  {
    held_writes held(*blocker);
    auto c = lesson();
    for (const auto& ev : c.out)
      small->post(c.tenant, c.classroom, ev);
  }
  BOOST_REQUIRE(small->flush(20s));
  auto st = small->stats();
  BOOST_TEST(st.posted == lesson().out.size());
  BOOST_TEST(st.dropped > 0u);
  BOOST_TEST(st.written + st.dropped == st.posted);
}

BOOST_AUTO_TEST_SUITE_END()
