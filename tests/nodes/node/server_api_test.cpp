// An institution onboarded end to end, as the README tells it: an operator
// makes its tenant and API key with lamplight-admin beside a running node;
// the institution's backend registers a webhook, schedules a classroom and
// issues join tokens through the signed server API; a teacher and a student
// join over real WebSockets and leave; the institution ends the lesson. Its
// webhook receiver (a real HTTP server the test starts, failing at first)
// gets every event, signed, at least once; attendance, CSV, usage and the
// delivery log come back through the API. Another institution, with its own
// key, sees none of it, and forged, replayed or tampered requests change
// nothing.
#include <boost/test/unit_test.hpp>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "backend/api_auth.hpp"
#include "backend/history_queries.hpp"
#include "backend/random_id.hpp"
#include "backend/webhooks.hpp"
#include "lamplight/api/v1/api.pb.h"
#include "media/lamp/lamp_client.hpp"
#include "protocol/codec.hpp"
#include "protocol/device_credential.hpp"
#include "tests/support/institution.hpp"
#include "tests/support/lamp_support.hpp"
#include "tests/support/node_process.hpp"
#include "transport/websocket_client.hpp"
#include "transport/websocket_server.hpp"

using namespace std::chrono_literals;
using lamplight::test::child_process;
namespace sig = lamplight::signal::v1;
namespace apiv = lamplight::api::v1;
namespace protocol = lamplight::protocol;
namespace transport = lamplight::transport;
namespace backend = lamplight::backend;
namespace pb = google::protobuf;

namespace {

using lamplight::test::eventually;
using lamplight::test::institution;


/// The institution's webhook receiver: records every POST, answers 500 to
/// the first `fail_first`.
struct receiver {
  struct hit {
    std::string event_id, type, signature, body;
    bool answered_ok = false;
  };
  std::mutex mtx;
  std::vector<hit> hits;
  int fail_first = 2;
  int seen = 0;
  transport::websocket_server server{transport::websocket_server_config{}};
  uint16_t port = 0;

  receiver() {
    server.set_http_handler([this](const transport::http_request& req) {
      std::lock_guard<std::mutex> lock(mtx);
      transport::http_response r;
      r.status = ++seen <= fail_first ? 500 : 204;
      hits.push_back({req.header("lamplight-event-id"), req.header("lamplight-event-type"),
                      req.header("lamplight-signature"), req.body, r.status == 204});
      return r;
    });
    port = server.start();
  }
  ~receiver() { server.stop(); }

  /// Every event seen was, in the end, answered 2xx.
  bool all_delivered() {
    std::lock_guard<std::mutex> lock(mtx);
    std::set<std::string> seen_ids, ok_ids;
    for (const auto& h : hits) {
      seen_ids.insert(h.event_id);
      if (h.answered_ok)
        ok_ids.insert(h.event_id);
    }
    return seen_ids == ok_ids;
  }

  bool got(const std::string& type, std::size_t at_least = 1) {
    std::lock_guard<std::mutex> lock(mtx);
    std::size_t n = 0;
    for (const auto& h : hits)
      n += h.type == type;
    return n >= at_least;
  }
};

struct onboarding {
  lamplight::test::node_process node;
  institution acme = make("acme", "Acme Tutoring");
  institution beta = make("beta", "Beta Learning");

  explicit onboarding(std::vector<std::string> node_args = {"--webhook-allow-loopback"})
    : node(std::move(node_args)) {}

  std::string data_dir() const { return (node.dir.path / "data").string(); }

  std::vector<std::string> admin(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_dir()});
    return lamplight::test::run_admin(LAMPLIGHT_ADMIN_BIN, std::move(args));
  }

  institution make(const std::string& id, const std::string& name) {
    return lamplight::test::make_institution(LAMPLIGHT_ADMIN_BIN, {"--data-dir", data_dir()}, id,
                                             name, node.http_port);
  }

  std::unique_ptr<transport::websocket_client> join(const std::string& token) {
    return lamplight::test::join_member(node.http_port, token);
  }

  std::string token(institution& who, const std::string& identity, const std::string& role) {
    return who.token("math-1", identity, role);
  }
};

} // namespace

/// A node whose tenants may send 2 requests a second, 5 at once.
struct throttled : onboarding {
  throttled() : onboarding({"--api-rate", "2", "--api-burst", "5"}) {}
};

BOOST_FIXTURE_TEST_CASE(a_tenants_flood_is_limited_and_slows_no_other_tenant, throttled) {
  const int sent = 20;
  int admitted = 0, limited = 0;
  auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < sent; ++i) {
    auto r = acme.call("GET", "/api/v1/keys");
    if (r.status == 200) {
      ++admitted;
      continue;
    }
    BOOST_TEST(r.status == 429);
    BOOST_TEST(r.body.find(R"("code":"resource_exhausted")") != std::string::npos, r.body);
    ++limited;
  }
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  // The burst, and what the rate refilled while the requests were sent.
  BOOST_TEST(admitted >= 5);
  BOOST_TEST(admitted <= 5 + static_cast<int>(2 * took) + 1, "admitted " << admitted << " in " << took << " s");
  BOOST_TEST(limited == sent - admitted);
  // Another tenant has its own budget, untouched by the flood.
  BOOST_TEST(beta.call("GET", "/api/v1/keys").status == 200);
  // The limited tenant is served again once its rate refilled a token.
  BOOST_REQUIRE(eventually([&] { return acme.call("GET", "/api/v1/keys").status == 200; }, 5s));
}

BOOST_FIXTURE_TEST_SUITE(server_api, onboarding)

BOOST_AUTO_TEST_CASE(an_institution_runs_a_lesson_through_the_api_and_its_webhooks) {
  receiver hook;
  auto made = acme.ok<apiv::WebhookCreated>(
    "POST", "/api/v1/webhooks",
    R"({"url":"http://127.0.0.1:)" + std::to_string(hook.port) + R"(/hook","events":["*"]})", 201);
  BOOST_TEST(made.secret().rfind("whsec_", 0) == 0u);

  auto room = acme.ok<apiv::Classroom>(
    "POST", "/api/v1/classrooms",
    R"({"id":"math-1","title":"Fractions","mode":"one_on_one","teacher":"t-1",)"
    R"("startsAt":"2030-01-15T08:00:00Z","endsAt":"2030-01-15T09:00:00Z"})",
    201);
  BOOST_TEST(room.capacity() == 4u);  // one_on_one: teacher, student and their parents
  BOOST_TEST(!room.live());

  auto teacher = join(token(acme, "t-1", "teacher"));
  auto student = join(token(acme, "s-1", "student"));
  auto live = acme.ok<apiv::Classroom>("GET", "/api/v1/classrooms/math-1");
  BOOST_TEST(live.live());
  BOOST_TEST(live.title() == "Fractions");
  BOOST_TEST(live.members_size() == 2);
  auto listed = acme.ok<apiv::ClassroomList>(
    "GET", "/api/v1/classrooms?from=2030-01-15T00:00:00Z&to=2030-01-16T00:00:00Z");
  BOOST_REQUIRE(listed.classrooms_size() == 1);
  BOOST_TEST(listed.classrooms(0).live());

  lamplight::test::leave_member(*student);
  BOOST_REQUIRE(eventually([&] { return hook.got("participant.left"); }, 20s));
  auto ended = acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms/math-1/end");
  BOOST_TEST(ended.has_ended_at());
  BOOST_REQUIRE(eventually([&] { return hook.got("lesson.ended"); }, 20s));
  // The refused attempts come again (backoff 1 s, then 2 s).
  BOOST_REQUIRE(eventually([&] { return hook.all_delivered(); }, 30s));
  // Ended by the institution: nobody opens it again.
  auto again = acme.call("POST", "/api/v1/tokens",
                         R"({"classroom":"math-1","identity":"t-1","role":"teacher"})");
  BOOST_TEST(again.status == 409);

  {
    std::lock_guard<std::mutex> lock(hook.mtx);
    std::set<std::string> types, ids;
    for (const auto& h : hook.hits) {
      BOOST_TEST(backend::verify_webhook_signature(made.secret(), h.signature, h.body,
                                                   backend::wall_ms() / 1000, 300),
                 "a delivery's signature does not verify: " << h.signature);
      types.insert(h.type);
      ids.insert(h.event_id);
      BOOST_TEST(h.body.find("\"tenant\":\"acme\"") != std::string::npos);
    }
    BOOST_TEST(types == (std::set<std::string>{"lesson.started", "participant.joined",
                                               "participant.left", "lesson.ended"}));
    // At least once: the two refused attempts came again with the same ids.
    BOOST_TEST(hook.hits.size() >= ids.size() + 2);
  }

  auto lessons = acme.ok<apiv::LessonList>("GET", "/api/v1/lessons?classroom=math-1");
  BOOST_REQUIRE(lessons.lessons_size() == 1);
  const auto& lesson = lessons.lessons(0);
  BOOST_TEST(lesson.participants() == 2u);
  BOOST_TEST(lesson.has_ended_at());
  auto detail = acme.ok<apiv::LessonDetail>("GET", "/api/v1/lessons/" + lesson.id());
  BOOST_REQUIRE(detail.attendance_size() == 2);
  BOOST_TEST(detail.attendance(0).identity() == "s-1");
  BOOST_TEST(detail.attendance(0).stays(0).left_reason() != "");
  BOOST_TEST(detail.attendance(1).minutes_present() > 0.0);
  auto csv = acme.call("GET", "/api/v1/lessons/" + lesson.id() + "/attendance.csv");
  BOOST_TEST(csv.status == 200);
  BOOST_TEST(csv.body.find("\"Name of t-1\"") != std::string::npos);

  auto today = backend::utc_day(backend::wall_ms());
  auto usage = acme.ok<apiv::Usage>("GET", "/api/v1/usage?from=" + today + "&to=" + today);
  BOOST_REQUIRE(usage.days_size() == 1);
  BOOST_TEST(usage.days(0).lessons() == 1u);
  BOOST_TEST(usage.days(0).participant_minutes() > 0.0);

  auto failed = acme.ok<apiv::WebhookDeliveryList>("GET", "/api/v1/webhooks/deliveries?failed=1");
  BOOST_TEST(failed.deliveries_size() == 2);
  for (const auto& d : failed.deliveries())
    BOOST_TEST(d.status_code() == 500);

  // The other institution sees none of it.
  BOOST_TEST(beta.refused("GET", "/api/v1/lessons/" + lesson.id(), 404) == "not_found");
  BOOST_TEST(beta.refused("GET", "/api/v1/classrooms/math-1", 404) == "not_found");
  BOOST_TEST(beta.refused("POST", "/api/v1/classrooms/math-1/end", 404) == "not_found");
  BOOST_TEST(beta.refused("DELETE", "/api/v1/webhooks/" + made.endpoint().id(), 404)
             == "not_found");
  BOOST_TEST(beta.ok<apiv::LessonList>("GET", "/api/v1/lessons").lessons_size() == 0);
  BOOST_TEST(beta.ok<apiv::WebhookDeliveryList>("GET", "/api/v1/webhooks/deliveries")
               .deliveries_size()
             == 0);
  (void) teacher;
}

BOOST_AUTO_TEST_CASE(a_tenant_at_its_quotas_is_refused_with_a_typed_error_and_told) {
  receiver hook;
  hook.fail_first = 0;
  acme.ok<apiv::WebhookCreated>(
    "POST", "/api/v1/webhooks",
    R"({"url":"http://127.0.0.1:)" + std::to_string(hook.port) + R"(/hook","events":["quota.reached"]})",
    201);
  // One classroom with a lesson at a time, two members present at once.
  auto row = admin({"tenant", "quota", "acme", "1", "2", "0"});
  BOOST_REQUIRE_EQUAL(row.size(), 1u);
  BOOST_TEST(row[0].find(R"("max_participants":2)") != std::string::npos, row[0]);
  for (const char* id : {"math-1", "art-1"})
    acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms",
                             std::string(R"({"id":")") + id
                               + R"(","title":"T","mode":"small_group","teacher":"t-)"
                               + (id[0] == 'm' ? "1" : "2") + R"("})",
                             201);
  auto teacher = join(acme.token("math-1", "t-1", "teacher"));
  auto student = join(acme.token("math-1", "s-1", "student"));
  // Quotas count what the history holds: wait until it has both.
  BOOST_REQUIRE(eventually(
    [&] {
      auto l = acme.ok<apiv::LessonList>("GET", "/api/v1/lessons?classroom=math-1");
      return l.lessons_size() == 1 && l.lessons(0).participants() == 2u;
    },
    20s));
  auto port = node.http_port;
  BOOST_TEST(lamplight::test::try_join(port, acme.token("math-1", "s-2", "student")).refused
             == sig::ERROR_RESOURCE_EXHAUSTED);
  // A member already present comes back (another socket): nothing new used.
  auto again = lamplight::test::try_join(port, acme.token("math-1", "s-1", "student"));
  BOOST_TEST(again.refused == sig::ERROR_UNSPECIFIED);
  // Another institution is not held to acme's quotas.
  beta.ok<apiv::Classroom>("POST", "/api/v1/classrooms", R"({"id":"math-1","title":"T","mode":"small_group","teacher":"t-1"})", 201);
  auto other = lamplight::test::try_join(port, beta.token("math-1", "t-1", "teacher"));
  BOOST_TEST(other.refused == sig::ERROR_UNSPECIFIED);

  admin({"tenant", "quota", "acme", "1", "0", "0"});
  // A second lesson would be a second classroom; joining the running one is not.
  BOOST_TEST(lamplight::test::try_join(port, acme.token("art-1", "t-2", "teacher")).refused
             == sig::ERROR_RESOURCE_EXHAUSTED);
  auto third = lamplight::test::try_join(port, acme.token("math-1", "s-2", "student"));
  BOOST_TEST(third.refused == sig::ERROR_UNSPECIFIED);

  // Told once per quota, whatever the number of refusals.
  BOOST_REQUIRE(eventually([&] { return hook.got("quota.reached", 2); }, 20s));
  std::lock_guard<std::mutex> lock(hook.mtx);
  std::set<std::string> quotas;
  for (const auto& h : hook.hits)
    for (const char* q : {"participants", "classrooms"})
      if (h.body.find(std::string(R"("quota":")") + q + "\"") != std::string::npos)
        quotas.insert(q);
  BOOST_TEST(quotas == (std::set<std::string>{"participants", "classrooms"}));
  (void) teacher;
  (void) student;
}

/// The first message the node pushes to `ws` that `match` accepts (10 s).
template <class Match>
std::optional<sig::ServerMessage> pushed(transport::websocket_client& ws, Match match) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline;) {
    auto frame = ws.read(1s);
    if (!frame)
      continue;
    auto m = lamplight::protocol::decode_server(frame->data, lamplight::protocol::wire_format::json);
    if (m && match(*m))
      return *m;
  }
  return std::nullopt;
}

BOOST_AUTO_TEST_CASE(an_institution_commands_a_lamp_and_removes_a_member) {
  acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms",
                           R"({"id":"math-1","title":"T","mode":"small_group","teacher":"t-1"})", 201);
  auto teacher = join(acme.token("math-1", "t-1", "teacher"));
  auto lamp = join(acme.token("math-1", "s-1", "student"));
  const std::string commands = "/api/v1/classrooms/math-1/members/s-1/commands";
  auto sent = acme.ok<apiv::DeviceCommandAccepted>(
    "POST", commands, R"({"onBehalfOf":"t-1","capturePhoto":{"width":1600,"height":1200}})", 202);
  auto req = pushed(*lamp, [&](const sig::ServerMessage& m) {
    return m.has_device_request() && m.device_request().command_id() == sent.command_id();
  });
  BOOST_REQUIRE(req.has_value());
  BOOST_TEST(req->device_request().from() == "t-1");
  BOOST_TEST(req->device_request().capture_photo().width() == 1600u);
  // The lamp cannot: the lesson's history keeps how the command ended.
  sig::ClientMessage ack;
  ack.set_request_id(7);
  ack.mutable_device_ack()->set_command_id(sent.command_id());
  ack.mutable_device_ack()->set_kind(sig::DEVICE_ACK_FAILED);
  ack.mutable_device_ack()->set_detail("desk camera covered");
  BOOST_REQUIRE(lamp->send_text(
    lamplight::protocol::encode_client(ack, lamplight::protocol::wire_format::json)));
  BOOST_REQUIRE(eventually(
    [&] {
      auto lessons = acme.ok<apiv::LessonList>("GET", "/api/v1/lessons?classroom=math-1");
      if (lessons.lessons_size() != 1)
        return false;
      auto d = acme.ok<apiv::LessonDetail>("GET", "/api/v1/lessons/" + lessons.lessons(0).id());
      return d.device_commands_size() == 1 && d.device_commands(0).outcome() == "failed"
             && d.device_commands(0).detail() == "desk camera covered"
             && d.device_commands(0).requested_by() == "t-1";
    },
    20s));
  BOOST_TEST(acme.refused("POST", commands, 403,
                          R"({"onBehalfOf":"s-1","switchScreen":{"screen":"whiteboard"}})")
             == "permission_denied");
  BOOST_TEST(acme.refused("POST", commands, 400, R"({"onBehalfOf":"t-1"})") == "bad_request");
  BOOST_TEST(acme.refused("POST", commands, 400,
                          R"({"onBehalfOf":"t-1","switchCamera":{"camera":"back"}})")
             == "bad_request");
  BOOST_TEST(acme.refused("POST", "/api/v1/classrooms/math-1/tracks/nope/mute", 404,
                          R"({"muted":true})")
             == "not_found");
  // Another institution reaches nothing of it, and a classroom that does
  // not run has nobody to act on.
  BOOST_TEST(beta.refused("POST", "/api/v1/classrooms/math-1/members/s-1/remove", 404, "{}")
             == "not_found");
  BOOST_TEST(beta.refused("POST", commands, 404, R"({"onBehalfOf":"t-1","capturePhoto":{}})")
             == "not_found");
  BOOST_TEST(acme.refused("POST", "/api/v1/classrooms/art-9/members/s-1/remove", 404, "{}")
             == "not_found");

  auto r = acme.call("POST", "/api/v1/classrooms/math-1/members/s-1/remove",
                     R"({"reason":"left the desk"})");
  BOOST_TEST(r.status == 204, r.body);
  auto told = pushed(*lamp, [](const sig::ServerMessage& m) { return m.has_error(); });
  BOOST_REQUIRE(told.has_value());
  BOOST_TEST(told->error().code() == sig::ERROR_PERMISSION_DENIED);
  BOOST_TEST(told->error().message() == "removed by the institution: left the desk");
  BOOST_TEST(acme.ok<apiv::Classroom>("GET", "/api/v1/classrooms/math-1").members_size() == 1);
  BOOST_TEST(acme.refused("POST", "/api/v1/classrooms/math-1/members/s-1/remove", 404, "{}")
             == "not_found");
  // The attendance keeps why the stay ended.
  BOOST_REQUIRE(eventually(
    [&] {
      auto lessons = acme.ok<apiv::LessonList>("GET", "/api/v1/lessons?classroom=math-1");
      if (lessons.lessons_size() != 1)
        return false;
      auto d = acme.ok<apiv::LessonDetail>("GET", "/api/v1/lessons/" + lessons.lessons(0).id());
      for (const auto& a : d.attendance())
        if (a.identity() == "s-1" && a.stays_size() == 1)
          return a.stays(0).left_reason() == "removed by the institution: left the desk";
      return false;
    },
    20s));
  (void) teacher;
}

BOOST_AUTO_TEST_CASE(a_students_questions_reach_the_history_and_the_webhooks) {
  receiver hook;
  hook.fail_first = 0;
  acme.ok<apiv::WebhookCreated>(
    "POST", "/api/v1/webhooks",
    R"({"url":"http://127.0.0.1:)" + std::to_string(hook.port) + R"(/hook","events":["qna.matched"]})",
    201);
  acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms",
                           R"({"id":"math-1","title":"T","mode":"small_group","teacher":"t-1"})", 201);
  auto student = join(acme.token("math-1", "s-1", "student"));
  auto send = [](transport::websocket_client& ws, sig::ClientMessage m) {
    BOOST_REQUIRE(ws.send_text(
      lamplight::protocol::encode_client(m, lamplight::protocol::wire_format::json)));
  };
  auto ask = [&](const std::string& subject) {
    sig::ClientMessage m;
    m.set_request_id(11);
    m.mutable_qna_ask()->set_subject(subject);
    send(*student, m);
    auto asked = pushed(*student, [](const sig::ServerMessage& r) { return r.has_qna_asked(); });
    BOOST_REQUIRE(asked.has_value());
    return asked->qna_asked().question_id();
  };
  // Nobody answers yet: the first question waits, and is withdrawn.
  auto first = ask("geometry");
  sig::ClientMessage withdraw;
  withdraw.set_request_id(12);
  withdraw.mutable_qna_withdraw()->set_question_id(first);
  send(*student, withdraw);
  // A teacher offers to answer: the second question is matched at once.
  auto teacher = join(acme.token("math-1", "t-9", "teacher"));
  sig::ClientMessage avail;
  avail.set_request_id(13);
  avail.mutable_qna_availability()->set_available(true);
  send(*teacher, avail);
  BOOST_REQUIRE(pushed(*teacher, [](const sig::ServerMessage& r) { return r.has_ack(); }));
  auto second = ask("fractions");
  auto matched = pushed(*student, [&](const sig::ServerMessage& r) {
    return r.has_qna_update() && r.qna_update().question_id() == second
           && r.qna_update().state() == sig::QNA_STATE_MATCHED;
  });
  BOOST_REQUIRE(matched.has_value());
  BOOST_TEST(matched->qna_update().peer() == "t-9");

  BOOST_REQUIRE(eventually(
    [&] {
      auto list = acme.ok<apiv::QuestionList>("GET", "/api/v1/questions");
      std::map<std::string, apiv::Question> by_id;
      for (const auto& q : list.questions())
        by_id[q.id()] = q;
      return by_id.size() == 2 && by_id[first].state() == "withdrawn"
             && by_id[first].subject() == "geometry" && by_id[first].student() == "s-1"
             && by_id[second].state() == "matched" && by_id[second].teacher() == "t-9"
             && by_id[second].classroom() == matched->qna_update().classroom_id()
             && by_id[second].has_ended_at();
    },
    20s));
  BOOST_REQUIRE(eventually([&] { return hook.got("qna.matched"); }, 20s));
  {
    std::lock_guard<std::mutex> lock(hook.mtx);
    for (const auto& h : hook.hits) {
      BOOST_TEST(h.type == "qna.matched");  // only what the endpoint asked for
      BOOST_TEST(h.body.find(second) != std::string::npos);
    }
  }
  // Another institution sees none of it.
  BOOST_TEST(beta.ok<apiv::QuestionList>("GET", "/api/v1/questions").questions_size() == 0);
}

BOOST_AUTO_TEST_CASE(the_media_a_lesson_forwards_is_in_the_tenants_usage) {
  using lamplight::test::require;
  namespace lamp = lamplight::media::lamp;
  acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms",
                           R"({"id":"math-1","title":"T","mode":"one_on_one","teacher":"t-1"})", 201);
  lamp::lamp_options o;
  o.port = node.http_port;
  lamp::lamp_client teacher(lamplight::test::shared_lamp_media(), o);
  lamp::lamp_client student(lamplight::test::shared_lamp_media(), o);
  require(teacher.join(acme.token("math-1", "t-1", "teacher")), "teacher join");
  require(student.join(acme.token("math-1", "s-1", "student")), "student join");
  require(teacher.publish(sig::TRACK_SOURCE_FACE_CAMERA), "publish");
  for (auto& t : lamplight::test::tracks_of(student, "t-1", 1))
    require(student.subscribe(t), "subscribe");
  lamplight::test::wait_for_media({&student}, 30, 0, 20s);
  uint64_t packets = 0;
  for (const auto& leg : student.report())
    if (!leg.publishing)
      packets += leg.received.packets;
  BOOST_REQUIRE(packets > 0u);
  student.close();
  teacher.close();
  // The legs' peers went: their meters told the rest at once.
  auto today = backend::utc_day(backend::wall_ms());
  const auto path = "/api/v1/usage?from=" + today + "&to=" + today;
  uint64_t billed = 0;
  BOOST_REQUIRE(eventually(
    [&] {
      auto u = acme.ok<apiv::Usage>("GET", path);
      billed = u.days_size() == 1 ? u.days(0).forwarded_bytes() : 0;
      // Every packet the student got: a VP8 payload, RTP header and tag.
      return billed >= packets * 100;
    },
    20s));
  BOOST_TEST_MESSAGE("forwarded " << billed << " bytes for " << packets << " packets");
  auto other = beta.ok<apiv::Usage>("GET", path);
  BOOST_TEST((other.days_size() == 0 || other.days(0).forwarded_bytes() == 0u));
}

BOOST_AUTO_TEST_CASE(a_registered_lamp_signs_in_as_itself_and_parents_watch_bound_children) {
  auto made = acme.ok<apiv::LampRegistered>("POST", "/api/v1/lamps",
                                            R"({"serial":"LMP-0001","student":"s-1"})", 201);
  BOOST_TEST(made.secret().size() == 64u);
  acme.ok<apiv::Classroom>(
    "POST", "/api/v1/classrooms",
    R"({"id":"math-1","title":"T","mode":"small_group","teacher":"t-1","students":["s-1","s-2"]})",
    201);
  acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms",
                           R"({"id":"art-1","title":"T","mode":"small_group","teacher":"t-2"})", 201);
  auto teacher = join(acme.token("math-1", "t-1", "teacher"));
  auto port = node.http_port;
  auto login = [&](const std::string& classroom, const std::string& secret,
                   const std::string& tenant = "acme") {
    sig::Join j;
    *j.mutable_device() = lamplight::protocol::sign_device_login(
      tenant, "LMP-0001", classroom, secret, backend::wall_ms() / 1000, backend::random_hex(16));
    j.set_display_name("Sam's lamp");
    return j;
  };
  auto lamp = lamplight::test::try_join(port, login("math-1", made.secret()));
  BOOST_REQUIRE_MESSAGE(lamp.ws != nullptr, sig::ErrorCode_Name(lamp.refused));
  auto live = acme.ok<apiv::Classroom>("GET", "/api/v1/classrooms/math-1");
  BOOST_TEST(live.students_size() == 2);
  bool seated = false;
  for (const auto& m : live.members())
    seated |= m.identity() == "s-1" && m.role() == "student" && m.display_name() == "Sam's lamp";
  BOOST_TEST(seated, live.DebugString());
  // Not on that classroom's roster; a wrong secret; another tenant.
  BOOST_TEST(lamplight::test::try_join(port, login("art-1", made.secret())).refused
             == sig::ERROR_PERMISSION_DENIED);
  BOOST_TEST(lamplight::test::try_join(port, login("math-1", std::string(64, '0'))).refused
             == sig::ERROR_UNAUTHENTICATED);
  BOOST_TEST(lamplight::test::try_join(port, login("math-1", made.secret(), "beta")).refused
             == sig::ERROR_UNAUTHENTICATED);
  BOOST_TEST(beta.ok<apiv::LampList>("GET", "/api/v1/lamps").lamps_size() == 0);
  BOOST_TEST(beta.refused("DELETE", "/api/v1/lamps/LMP-0001", 404) == "not_found");
  // Revoked: its next sign-in is refused.
  BOOST_TEST(acme.call("DELETE", "/api/v1/lamps/LMP-0001").status == 204);
  BOOST_TEST(lamplight::test::try_join(port, login("math-1", made.secret())).refused
             == sig::ERROR_UNAUTHENTICATED);
  BOOST_TEST(acme.ok<apiv::LampList>("GET", "/api/v1/lamps").lamps(0).has_revoked_at());

  // A parent's token only for a child bound to it.
  const std::string parent_token =
    R"({"classroom":"math-1","identity":"p-1","role":"parent","child":"s-1"})";
  BOOST_TEST(acme.refused("POST", "/api/v1/tokens", 403, parent_token) == "permission_denied");
  acme.ok<apiv::Guardian>("POST", "/api/v1/guardians", R"({"parent":"p-1","child":"s-1"})", 201);
  auto parent =
    join(acme.ok<apiv::IssuedToken>("POST", "/api/v1/tokens", parent_token).token());
  BOOST_TEST(acme.ok<apiv::GuardianList>("GET", "/api/v1/guardians").guardians_size() == 1);
  BOOST_TEST(beta.ok<apiv::GuardianList>("GET", "/api/v1/guardians").guardians_size() == 0);
  BOOST_TEST(beta.refused("DELETE", "/api/v1/guardians/p-1/s-1", 404) == "not_found");
  BOOST_TEST(acme.call("DELETE", "/api/v1/guardians/p-1/s-1").status == 204);
  BOOST_TEST(acme.refused("POST", "/api/v1/tokens", 403, parent_token) == "permission_denied");
  (void) teacher;
  (void) parent;
}

BOOST_AUTO_TEST_CASE(forged_replayed_and_tampered_requests_change_nothing) {
  const std::string body = R"({"id":"c-1","title":"T","mode":"small_group","teacher":"t-1"})";
  // Unsigned.
  auto bare = transport::http_request_once("127.0.0.1", node.http_port, "POST",
                                           "/api/v1/classrooms", body);
  BOOST_TEST(bare.status == 401);
  // acme's kid with beta's secret.
  institution forged{"acme", acme.kid, beta.secret, node.http_port};
  BOOST_TEST(forged.refused("POST", "/api/v1/classrooms", 401, body) == "unauthenticated");
  // Signed for one body, sent with another.
  auto auth = backend::sign_api_request(acme.kid, acme.secret, "POST", "/api/v1/classrooms", body,
                                        backend::wall_ms() / 1000, backend::random_hex(12));
  auto tampered = transport::http_request_once(
    "127.0.0.1", node.http_port, "POST", "/api/v1/classrooms",
    R"({"id":"c-2","title":"T","mode":"small_group","teacher":"t-1"})", 5s,
    {{"Authorization", auth}});
  BOOST_TEST(tampered.status == 401);
  // The same signed request twice: the second is a replay.
  auto nonce = backend::random_hex(12);
  BOOST_TEST(acme.call("POST", "/api/v1/classrooms", body, nonce).status == 201);
  BOOST_TEST(acme.call("POST", "/api/v1/classrooms", body, nonce).status == 401);
  // Nothing of that reached beta, or made c-2.
  BOOST_TEST(beta.ok<apiv::ClassroomList>("GET", "/api/v1/classrooms").classrooms_size() == 0);
  BOOST_TEST(acme.refused("GET", "/api/v1/classrooms/c-2", 404) == "not_found");
  // A revoked key is refused at once.
  admin({"key", "revoke", "beta", beta.kid});
  BOOST_TEST(beta.refused("GET", "/api/v1/classrooms", 401) == "unauthenticated");
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_typed_error) {
  auto code = [&](const std::string& body) {
    return acme.refused("POST", "/api/v1/classrooms", 400, body);
  };
  BOOST_TEST(code("not json") == "bad_request");
  BOOST_TEST(code(R"({"id":"x","title":"T","mode":"small_group","teacher":"t","color":"red"})")
             == "bad_request");  // an unknown field
  BOOST_TEST(code(R"({"id":"x'); DROP TABLE classrooms;--","title":"T","mode":"small_group",)"
                  R"("teacher":"t"})")
             == "bad_request");
  BOOST_TEST(code(R"({"id":"x","title":"T","mode":"huge","teacher":"t"})") == "bad_request");
  BOOST_TEST(code(R"({"id":"x","title":"T","mode":"one_on_one","teacher":"t","capacity":5})")
             == "bad_request");
  // A title with SQL in it is just a title.
  auto ok = acme.ok<apiv::Classroom>(
    "POST", "/api/v1/classrooms",
    R"({"id":"sql","title":"'; DROP TABLE lessons; --","mode":"small_group","teacher":"t"})", 201);
  BOOST_TEST(ok.title() == "'; DROP TABLE lessons; --");
  BOOST_TEST(acme.refused("POST", "/api/v1/classrooms", 409,
                          R"({"id":"sql","title":"T","mode":"small_group","teacher":"t"})")
             == "already_exists");
  BOOST_TEST(acme.refused("POST", "/api/v1/classrooms", 413, std::string(70 * 1024, ' '))
             == "payload_too_large");
  // Webhooks to the cloud metadata service are refused even where loopback
  // is allowed.
  BOOST_TEST(acme.refused("POST", "/api/v1/webhooks", 400,
                          R"({"url":"http://169.254.169.254/latest","events":["*"]})")
             == "bad_request");
  BOOST_TEST(acme.refused("GET", "/api/v1/usage?from=2027-01-01&to=2029-01-01", 400)
             == "bad_request");
  BOOST_TEST(acme.refused("GET", "/api/v1/lessons?limit=99999", 400) == "bad_request");
  BOOST_TEST(acme.refused("GET", "/api/v1/nothing", 404) == "not_found");
  // The contract itself needs no key.
  auto spec = transport::http_get("127.0.0.1", node.http_port, "/api/v1/openapi.json");
  BOOST_TEST(spec.status == 200);
  BOOST_TEST(spec.body.find("\"openapi\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
