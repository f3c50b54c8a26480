// The institution's admin console (web/admin.html) in Debian's Chromium
// (headless, driven over the DevTools protocol) against a real
// lamplight-node. Tenants and keys come from lamplight-admin, as an operator
// makes them; the administrator signs in with a key through the page's form
// and every request the page makes is signed in the browser (WebCrypto).
// A lesson runs with members on real WebSockets (the student with a join
// link the page issued); the page shows it live, ends it, and shows its
// history, attendance CSV, usage, webhook deliveries (to a real receiver
// added through the page) and keys. Another tenant's key sees none of it; a
// wrong secret, and later a revoked key, send the administrator back to the
// sign-in. Screenshots of each view go to the build's artifacts folder.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <mutex>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "backend/api_auth.hpp"
#include "backend/history_queries.hpp"
#include "backend/random_id.hpp"
#include "lamplight/api/v1/api.pb.h"
#include "protocol/codec.hpp"
#include "tests/support/cdp_browser.hpp"
#include "tests/support/institution.hpp"
#include "tests/support/node_process.hpp"
#include "transport/websocket_client.hpp"
#include "transport/websocket_server.hpp"

using namespace std::chrono_literals;
using lamplight::test::cdp_browser;
using lamplight::test::child_process;
using lamplight::test::json_quote;
namespace sig = lamplight::signal::v1;
namespace apiv = lamplight::api::v1;
namespace protocol = lamplight::protocol;
namespace transport = lamplight::transport;
namespace backend = lamplight::backend;
namespace pb = google::protobuf;

namespace {

using lamplight::test::eventually;
using lamplight::test::institution;

std::filesystem::path artifacts() { return LAMPLIGHT_ARTIFACTS; }

/// The institution's webhook receiver: records the event types it gets,
/// answers 500 to the first `fail_first` (so the log has failures to show).
struct receiver {
  std::mutex mtx;
  std::vector<std::string> types;
  int fail_first = 2;
  int seen = 0;
  transport::websocket_server server{transport::websocket_server_config{}};
  uint16_t port = 0;

  receiver() {
    server.set_http_handler([this](const transport::http_request& req) {
      std::lock_guard<std::mutex> lock(mtx);
      types.push_back(req.header("lamplight-event-type"));
      transport::http_response r;
      r.status = ++seen <= fail_first ? 500 : 204;
      return r;
    });
    port = server.start();
  }
  ~receiver() { server.stop(); }

  bool got(const std::string& type) {
    std::lock_guard<std::mutex> lock(mtx);
    return std::find(types.begin(), types.end(), type) != types.end();
  }
};

// A classroom title and a name with markup in them: the page must show
// them as text.
const std::string title = "Fractions <img src=x onerror=\"window.pwned=1\"> & more";
const std::string student_name = "Ana <b>Bold</b>";

const std::string S = "window.lamplightAdmin.state()";

struct console {
  lamplight::test::node_process node{{"--webhook-allow-loopback"}};
  std::string base = "http://127.0.0.1:" + std::to_string(node.http_port);
  institution acme = make("acme", "Acme Tutoring");
  institution beta = make("beta", "Beta Learning");

  std::string data_dir() const { return (node.dir.path / "data").string(); }

  institution make(const std::string& id, const std::string& name) {
    return lamplight::test::make_institution(LAMPLIGHT_ADMIN_BIN, {"--data-dir", data_dir()}, id,
                                             name, node.http_port);
  }

  /// A scheduled classroom of acme's, from a minute ago for an hour.
  void create_classroom(const std::string& id) {
    auto now = backend::wall_ms();
    apiv::CreateClassroomRequest r;
    r.set_id(id);
    r.set_title(title);
    r.set_mode("small_group");
    r.set_teacher("t-1");
    *r.mutable_starts_at() = pb::util::TimeUtil::SecondsToTimestamp((now - 60'000) / 1000);
    *r.mutable_ends_at() = pb::util::TimeUtil::SecondsToTimestamp((now + 3'600'000) / 1000);
    std::string body;
    BOOST_REQUIRE(pb::util::MessageToJsonString(r, &body).ok());
    acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms", body, 201);
  }

  std::string token(const std::string& classroom, const std::string& identity,
                    const std::string& role) {
    return acme.token(classroom, identity, role, "Ms Li");
  }

  std::unique_ptr<transport::websocket_client> join(const std::string& token) {
    return lamplight::test::join_member(node.http_port, token);
  }

  static void send(transport::websocket_client& ws, sig::ClientMessage m) {
    static uint64_t next_request = 100;
    m.set_request_id(next_request++);
    BOOST_REQUIRE(ws.send_text(protocol::encode_client(m, protocol::wire_format::json)));
  }

  // -- the page ----------------------------------------------------------------

  static void run(cdp_browser& b, const cdp_browser::page& p, const std::string& js) {
    auto v = b.eval(p, js);
    BOOST_REQUIRE_MESSAGE(v.has_value(), js << ": " << b.last_error());
  }
  static pb::Value value(cdp_browser& b, const cdp_browser::page& p, const std::string& js) {
    auto v = b.eval(p, js);
    BOOST_REQUIRE_MESSAGE(v.has_value(), js << ": " << b.last_error());
    return *v;
  }
  static void wait(cdp_browser& b, const cdp_browser::page& p, const std::string& js,
                   std::chrono::seconds limit, const std::string& what) {
    if (b.wait_until(p, js, limit))
      return;
    // The page's state says more than the expression that stayed false.
    auto state = b.eval(p, "JSON.stringify(" + S + ")");
    BOOST_FAIL(what << ": still false after " << limit.count() << " s: " << js << "\nstate: "
                    << (state ? state->string_value() : "? (" + b.last_error() + ")"));
  }
  static void click(cdp_browser& b, const cdp_browser::page& p, const std::string& selector) {
    run(b, p, "(() => { const e = document.querySelector(" + json_quote(selector)
                + "); if (!e) throw new Error('no ' + " + json_quote(selector)
                + "); e.click(); return true; })()");
  }
  static void type(cdp_browser& b, const cdp_browser::page& p, const std::string& selector,
                   const std::string& text) {
    run(b, p, "(() => { const e = document.querySelector(" + json_quote(selector)
                + "); if (!e) throw new Error('no ' + " + json_quote(selector) + "); e.value = "
                + json_quote(text) + "; e.dispatchEvent(new Event('input', {bubbles: true})); "
                + "return true; })()");
  }
  static void shot(cdp_browser& b, const cdp_browser::page& p, const std::string& name) {
    auto file = artifacts() / name;
    BOOST_TEST(b.screenshot(p, file, true), "screenshot " << file);
    BOOST_TEST_MESSAGE("screenshot: " << file.string());
  }

  cdp_browser::page open_console(cdp_browser& b) {
    auto p = b.open(base + "/admin.html");
    wait(b, p, "window.lamplightAdmin && !document.querySelector('#signin').hidden", 20s,
         "the sign-in form shows");
    return p;
  }

  /// Fills the sign-in form and submits it.
  static void sign_in(cdp_browser& b, const cdp_browser::page& p, const std::string& kid,
                      const std::string& secret) {
    type(b, p, "[data-field=\"kid\"]", kid);
    type(b, p, "[data-field=\"secret\"]", secret);
    click(b, p, "[data-action=\"sign-in\"]");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(admin_console, console)

BOOST_AUTO_TEST_CASE(an_administrator_follows_a_lesson_from_live_to_history) {
  receiver hook;
  create_classroom("math-1");
  cdp_browser b(node.dir.path / "admin-profile");
  auto page = open_console(b);
  sign_in(b, page, acme.kid, acme.secret);
  wait(b, page, S + ".signedIn && " + S + ".loads.live > 0", 20s, "acme's administrator signs in");
  // The secret is kept in this tab only: not in the DOM, not in storage
  // that outlives the tab, not in a cookie.
  BOOST_TEST(value(b, page, "document.querySelector('[data-field=\"secret\"]').value").string_value()
             == "");
  BOOST_TEST(value(b, page, "localStorage.length === 0 && document.cookie === ''").bool_value());
  BOOST_TEST(value(b, page, "JSON.parse(sessionStorage.getItem('lamplight.admin.key')).kid")
               .string_value()
             == acme.kid);

  // Webhooks: an endpoint added through the form; its secret shown once.
  click(b, page, "#tab-webhooks");
  type(b, page, "[data-role=\"add-webhook\"] input[name=\"url\"]",
       "http://127.0.0.1:" + std::to_string(hook.port) + "/hook");
  click(b, page, "[data-role=\"add-webhook\"] button[type=\"submit\"]");
  wait(b, page, S + ".webhooks.endpoints.length === 1 && " + S + ".webhooks.secretShown", 20s,
       "the endpoint is added");
  BOOST_TEST(value(b, page, "document.querySelector('[data-field=\"webhook-secret\"]').textContent")
               .string_value()
               .rfind("whsec_", 0)
             == 0u);
  click(b, page, "[data-action=\"dismiss-secret\"]");

  // Schedule: the classroom is today's; a join link for a student, issued
  // through the form, is what the student joins with.
  click(b, page, "#tab-schedule");
  wait(b, page, S + ".schedule.classrooms.some(c => c.id === 'math-1')", 20s,
       "the schedule lists math-1");
  type(b, page, "[data-role=\"issue-token\"] input[name=\"classroom\"]", "math-1");
  type(b, page, "[data-role=\"issue-token\"] input[name=\"identity\"]", "s-1");
  type(b, page, "[data-role=\"issue-token\"] input[name=\"displayName\"]", student_name);
  click(b, page, "[data-role=\"issue-token\"] button[type=\"submit\"]");
  wait(b, page, S + ".token && document.querySelector('[data-role=\"join-link\"]')", 20s,
       "the join link is issued");
  auto link = value(b, page, "document.querySelector('[data-role=\"join-link\"]').href").string_value();
  BOOST_TEST(link.rfind(base + "/student.html?token=", 0) == 0u, link);
  auto student_token = link.substr(link.find("token=") + 6);
  shot(b, page, "console-schedule.png");

  // Live: a teacher and the student join; the page shows both.
  auto teacher = join(token("math-1", "t-1", "teacher"));
  auto student = join(student_token);
  {
    sig::ClientMessage hand;
    hand.mutable_raise_hand();
    send(*student, hand);
  }
  click(b, page, "#tab-live");
  wait(b, page,
       S + ".live.classrooms.some(c => c.id === 'math-1') && " + S + ".live.room && " + S
         + ".live.room.members && " + S + ".live.room.members.filter(m => m.online).length === 2"
         + " && document.querySelectorAll('[data-role=\"members\"] tbody tr').length === 2",
       20s, "the live classroom shows its 2 members");
  wait(b, page,
       S + ".live.room.members.some(m => m.identity === 's-1' && m.handRaised) && "
         + "document.querySelector('[data-role=\"hands\"]').textContent.includes('s-1')",
       20s, "the live view shows the raised hand");
  BOOST_TEST(value(b, page, "document.querySelector('[data-field=\"room-title\"]').textContent")
               .string_value()
             == title);
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"members\"] tr[data-identity=\"s-1\"]').textContent")
               .string_value()
               .find(student_name)
             != std::string::npos);
  BOOST_TEST(value(b, page, "document.querySelectorAll('main img, main b').length === 0 && !window.pwned")
               .bool_value(),
             "markup from the API was rendered as markup");
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"members\"] tr[data-identity=\"t-1\"]').textContent.includes('teacher')")
               .bool_value());
  shot(b, page, "console-live.png");

  // The teacher takes the question; the student leaves; the administrator
  // ends the lesson with the page's End button, after its confirmation.
  {
    sig::ClientMessage accept;
    accept.mutable_accept_hand()->set_student("s-1");
    send(*teacher, accept);
  }
  wait(b, page, "!" + S + ".live.room.members.some(m => m.handRaised)", 20s,
       "the hand is taken");
  lamplight::test::leave_member(*student);
  wait(b, page, "!" + S + ".live.room.members.some(m => m.identity === 's-1' && m.online)", 20s,
       "the student is gone from the live view");
  click(b, page, "[data-action=\"end-lesson\"]");
  wait(b, page, "document.querySelector('[data-role=\"confirm\"]').open", 10s,
       "the page asks before ending");
  click(b, page, "[data-action=\"confirm-yes\"]");
  wait(b, page, S + ".ended.includes('math-1') && !" + S + ".live.room.live && !" + S
                  + ".live.classrooms.some(c => c.id === 'math-1')",
       20s, "the lesson ends");
  BOOST_TEST(acme.ok<apiv::Classroom>("GET", "/api/v1/classrooms/math-1").has_ended_at());
  BOOST_REQUIRE(eventually([&] { return hook.got("lesson.ended"); }, 20s));

  // History: the lesson, then its detail with both members' attendance.
  click(b, page, "#tab-history");
  wait(b, page,
       "(() => { const s = " + S + "; if (s.history.lessons.some(l => l.classroom === 'math-1' && "
       "l.endedAt && l.participants === 2)) return true; window.lamplightAdmin.refresh(); "
       "return false; })()",
       20s, "History lists the ended lesson");
  auto lesson_id = value(b, page, S + ".history.lessons[0].id").string_value();
  click(b, page, "[data-action=\"open-lesson\"][data-id=" + json_quote(lesson_id) + "]");
  wait(b, page,
       S + ".history.lesson && " + S + ".history.lesson.attendance.length === 2 && "
         + "document.querySelectorAll('[data-role=\"attendance\"] tbody tr').length === 2",
       20s, "the lesson's attendance shows both members");
  // Both were present for a while (the student for seconds: not "0.00").
  for (const char* who : {"t-1", "s-1"}) {
    auto minutes = value(b, page, std::string("document.querySelector('[data-role=\"attendance\"] tr[data-identity=\"")
                                    + who + "\"] [data-field=\"minutes\"]').textContent")
                     .string_value();
    BOOST_TEST((!minutes.empty() && minutes != "0.00"), who << ": " << minutes);
  }
  BOOST_TEST(value(b, page, S + ".history.lesson.attendance.every(a => a.minutesPresent > 0)").bool_value());
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"lesson-hands\"] tbody').textContent.includes('accepted by t-1')")
               .bool_value());
  shot(b, page, "console-history.png");

  // The attendance CSV: fetched signed by the page, offered as a Blob; its
  // text is what the API gives.
  run(b, page, "window.lamplightAdmin.setAutoSave(false)");
  click(b, page, "[data-action=\"csv\"]");
  wait(b, page, "window.lamplightAdmin.lastDownload() && !document.querySelector('[data-role=\"csv-link\"]').hidden",
       20s, "the CSV is ready to save");
  auto csv_text = value(b, page, "window.lamplightAdmin.lastDownload().text").string_value();
  auto direct = acme.call("GET", "/api/v1/lessons/" + lesson_id + "/attendance.csv");
  BOOST_REQUIRE_EQUAL(direct.status, 200);
  BOOST_TEST(csv_text == direct.body);
  BOOST_TEST(csv_text.rfind("identity,display_name,role,joined_at,left_at,left_reason,minutes_present\n", 0) == 0u);
  BOOST_TEST(csv_text.find("\"t-1\"") != std::string::npos);
  BOOST_TEST(csv_text.find("\"s-1\",\"Ana <b>Bold</b>\"") != std::string::npos);
  BOOST_TEST(value(b, page, "fetch(document.querySelector('[data-role=\"csv-link\"]').href).then(r => r.text())")
               .string_value()
             == csv_text);
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"csv-link\"]').download").string_value()
             == "attendance-" + lesson_id + ".csv");

  // Usage: today's bar.
  auto today = backend::utc_day(backend::wall_ms());
  click(b, page, "#tab-usage");
  auto bar = "document.querySelector('[data-role=\"usage-chart\"] rect[data-day=\"" + today + "\"]')";
  wait(b, page, S + ".loads.usage > 0 && " + bar + " && parseFloat(" + bar + ".getAttribute('height')) > 0",
       20s, "Usage shows today's bar");
  BOOST_TEST(value(b, page, S + ".usage.series.length").number_value() == 30);
  BOOST_TEST(value(b, page, S + ".usage.series[29].day").string_value() == today);
  BOOST_TEST(value(b, page, S + ".usage.series[29].lessons").number_value() == 1);
  BOOST_TEST(value(b, page, S + ".usage.series[29].participantMinutes").number_value() > 0);
  // No media in this lesson; a number, not NaN from the uint64's JSON string.
  BOOST_TEST(value(b, page, S + ".usage.series[29].forwardedMB").number_value() == 0);
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"usage-table\"] tbody tr[data-day=\"" + today
                              + "\"]') !== null")
               .bool_value());
  shot(b, page, "console-usage.png");

  // Webhooks: the deliveries to the receiver, its refusals highlighted.
  click(b, page, "#tab-webhooks");
  wait(b, page,
       S + ".webhooks.deliveries.some(d => d.statusCode === 204) && " + S
         + ".webhooks.deliveries.filter(d => d.statusCode === 500).length === 2 && "
         + "document.querySelectorAll('[data-role=\"deliveries\"] tr.failed').length === 2",
       30s, "the delivery log shows deliveries and the 2 failures");
  shot(b, page, "console-webhooks.png");
  click(b, page, "[data-field=\"failed-only\"]");
  wait(b, page,
       S + ".webhooks.failedOnly && " + S + ".webhooks.deliveries.length === 2 && " + S
         + ".webhooks.deliveries.every(d => d.statusCode === 500)",
       20s, "failures only");

  // Lamps and parents: acme's (registered through the API), not beta's.
  acme.ok<apiv::LampRegistered>("POST", "/api/v1/lamps", R"({"serial":"LMP-0001","student":"s-1"})",
                                201);
  acme.ok<apiv::Guardian>("POST", "/api/v1/guardians", R"({"parent":"p-1","child":"s-1"})", 201);
  beta.ok<apiv::LampRegistered>("POST", "/api/v1/lamps", R"({"serial":"LMP-0002","student":"s-9"})",
                                201);
  click(b, page, "#tab-lamps");
  wait(b, page,
       S + ".lamps.lamps.length === 1 && " + S + ".lamps.lamps[0].serial === 'LMP-0001' && " + S
         + ".lamps.guardians.length === 1 && "
         + "document.querySelector('[data-role=\"lamps\"] tr[data-serial=\"LMP-0001\"]') !== null && "
         + "document.querySelector('[data-role=\"guardians\"] tr[data-parent=\"p-1\"]') !== null",
       20s, "Lamps lists acme's lamp and parent");
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"lamps\"]').textContent.includes('LMP-0002')")
               .bool_value()
             == false);
  shot(b, page, "console-lamps.png");

  // Keys: acme's, not beta's.
  click(b, page, "#tab-keys");
  wait(b, page, S + ".keys.some(k => k.kid === " + json_quote(acme.kid) + ")", 20s, "Keys lists acme's key");
  BOOST_TEST(!value(b, page, S + ".keys.some(k => k.kid === " + json_quote(beta.kid) + ")").bool_value());
  BOOST_TEST(value(b, page, "document.querySelector('[data-role=\"keys\"] tr[data-kid=" + json_quote(acme.kid)
                              + "]') !== null && document.querySelector('[data-role=\"keys\"] tr[data-kid="
                              + json_quote(beta.kid) + "]') === null")
               .bool_value());
  shot(b, page, "console-keys.png");
  (void) teacher;
}

BOOST_AUTO_TEST_CASE(another_tenant_sees_nothing_and_bad_keys_go_back_to_sign_in) {
  // An ended lesson of acme's, made through the API.
  create_classroom("math-2");
  {
    auto teacher = join(token("math-2", "t-1", "teacher"));
    acme.ok<apiv::Classroom>("POST", "/api/v1/classrooms/math-2/end");
  }
  std::string lesson_id;
  BOOST_REQUIRE(eventually(
    [&] {
      auto list = acme.ok<apiv::LessonList>("GET", "/api/v1/lessons?classroom=math-2");
      if (list.lessons_size() != 1 || !list.lessons(0).has_ended_at())
        return false;
      lesson_id = list.lessons(0).id();
      return true;
    },
    20s));

  cdp_browser b(node.dir.path / "admin-profile");
  auto page = open_console(b);

  // acme's kid with beta's secret: refused, with the reason on the form.
  sign_in(b, page, acme.kid, beta.secret);
  wait(b, page, S + ".signinError.startsWith('Sign-in refused') && !document.querySelector('[data-role=\"signin-error\"]').hidden",
       20s, "a wrong secret shows the sign-in error");
  BOOST_TEST(!value(b, page, S + ".signedIn").bool_value());
  BOOST_TEST(value(b, page, "document.querySelector('#console').hidden").bool_value());
  BOOST_TEST(value(b, page, "sessionStorage.getItem('lamplight.admin.key') === null").bool_value());
  shot(b, page, "console-signin.png");

  // beta's key: none of acme's classrooms, lessons or keys.
  sign_in(b, page, beta.kid, beta.secret);
  wait(b, page, S + ".signedIn && " + S + ".loads.live > 0", 20s, "beta's administrator signs in");
  BOOST_TEST(value(b, page, S + ".live.classrooms.length").number_value() == 0);
  click(b, page, "#tab-history");
  wait(b, page, S + ".loads.history > 0", 20s, "beta's history loads");
  BOOST_TEST(value(b, page, S + ".history.lessons.length").number_value() == 0);
  BOOST_TEST(value(b, page, "document.querySelectorAll('[data-role=\"lessons\"] tbody tr').length").number_value()
             == 0);
  // Not even by its id: the API says not found, and the page says so.
  run(b, page, "window.lamplightAdmin.openLesson(" + json_quote(lesson_id) + ")");
  wait(b, page, S + ".error && " + S + ".error.code === 'not_found'", 20s, "acme's lesson is not found");
  BOOST_TEST(!value(b, page, "document.querySelector('[data-role=\"error\"]').hidden").bool_value());
  BOOST_TEST(value(b, page, S + ".history.lesson === null").bool_value());
  click(b, page, "#tab-schedule");
  wait(b, page, S + ".loads.schedule > 0", 20s, "beta's schedule loads");
  BOOST_TEST(value(b, page, S + ".schedule.classrooms.length").number_value() == 0);
  click(b, page, "#tab-keys");
  wait(b, page, S + ".loads.keys > 0", 20s, "beta's keys load");
  BOOST_TEST(value(b, page, S + ".keys.map(k => k.kid).join(',')").string_value() == beta.kid);

  // Signed out and in as acme: the lesson is there (the page itself works).
  click(b, page, "[data-action=\"sign-out\"]");
  wait(b, page, "!" + S + ".signedIn && !document.querySelector('#signin').hidden", 10s, "signed out");
  sign_in(b, page, acme.kid, acme.secret);
  wait(b, page, S + ".signedIn", 20s, "acme signs in");
  click(b, page, "#tab-history");
  wait(b, page, S + ".history.lessons.some(l => l.id === " + json_quote(lesson_id) + ")", 20s,
       "acme sees its lesson");

  // The key revoked while the page is open: its next request is refused
  // and the administrator is back at the sign-in, told why.
  click(b, page, "#tab-live");
  lamplight::test::run_admin(LAMPLIGHT_ADMIN_BIN,
                             {"--data-dir", data_dir(), "key", "revoke", "acme", acme.kid});
  wait(b, page, "!" + S + ".signedIn && " + S + ".signinError.startsWith('Signed out') && "
                  + "!document.querySelector('#signin').hidden && document.querySelector('#console').hidden",
       20s, "a revoked key goes back to the sign-in");
  BOOST_TEST(value(b, page, "sessionStorage.getItem('lamplight.admin.key') === null").bool_value());
}

BOOST_AUTO_TEST_SUITE_END()
