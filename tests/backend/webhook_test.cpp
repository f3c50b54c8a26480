// Webhooks on a real SQLite database in a temporary directory: the
// registry, the outbox the history writer fills, signatures, and the
// dispatcher against real HTTP receivers on 127.0.0.1 (time is the test's
// clock: backoff and leases are checked by moving it, never by sleeping).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio.hpp>

#include "backend/tenant_registry.hpp"
#include "backend/webhook_dispatcher.hpp"
#include "backend/webhooks.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"
#include "transport/websocket_server.hpp"

using namespace lamplight::backend;
namespace protocol = lamplight::protocol;
namespace transport = lamplight::transport;
namespace net = boost::asio;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;
using namespace std::chrono_literals;

namespace {

/// An HTTP receiver that answers `fail_first` requests with 500, then 200,
/// and keeps what it got.
struct receiver {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<transport::http_request> got;
  int fail_first = 0;
  transport::websocket_server server{transport::websocket_server_config{}};
  uint16_t port = 0;

  explicit receiver(int fail = 0) : fail_first(fail) {
    server.set_http_handler([this](const transport::http_request& r) {
      std::lock_guard<std::mutex> guard(mtx);
      got.push_back(r);
      cv.notify_all();
      transport::http_response res;
      res.status = static_cast<int>(got.size()) <= fail_first ? 500 : 200;
      res.body = res.status == 500 ? "boom" : "thanks";
      return res;
    });
    port = server.start();
  }
  ~receiver() { server.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
  std::size_t count() {
    std::lock_guard<std::mutex> guard(mtx);
    return got.size();
  }
  /// Waits (bounded) until `n` requests arrived.
  bool wait_for(std::size_t n) {
    std::unique_lock<std::mutex> lock(mtx);
    return cv.wait_for(lock, 10s, [&] { return got.size() >= n; });
  }
};

/// Accepts connections and never answers.
struct silent_receiver {
  net::io_context ioc;
  net::ip::tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  std::vector<std::unique_ptr<net::ip::tcp::socket>> held;
  std::mutex mtx;
  std::condition_variable cv;
  int accepted = 0;
  std::thread thread;

  silent_receiver() {
    accept();
    thread = std::thread([this] { ioc.run(); });
  }
  ~silent_receiver() {
    ioc.stop();
    thread.join();
  }
  void accept() {
    auto sock = std::make_unique<net::ip::tcp::socket>(ioc);
    auto* raw = sock.get();
    acceptor.async_accept(*raw, [this, s = std::move(sock)](boost::system::error_code ec) mutable {
      if (ec)
        return;
      held.push_back(std::move(s));
      {
        std::lock_guard<std::mutex> guard(mtx);
        ++accepted;
      }
      cv.notify_all();
      accept();
    });
  }
  int count() {
    std::lock_guard<std::mutex> guard(mtx);
    return accepted;
  }
  bool wait_for(int n) {
    std::unique_lock<std::mutex> lock(mtx);
    return cv.wait_for(lock, 10s, [&] { return accepted >= n; });
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
  }
};

struct hooks_fixture {
  temp_dir dir;
  std::string file = lamplight::test::test_database(dir);
  std::atomic<int64_t> now{1'800'000'000'000};  // wall ms, moved by hand
  webhook_policy policy = [] {
    webhook_policy p;
    p.allow_loopback = true;  // the receivers are on 127.0.0.1
    return p;
  }();
  std::shared_ptr<tenant_registry> tenants = open_tenants();
  std::shared_ptr<webhook_registry> hooks = open_hooks(policy);
  std::unique_ptr<database> db = open_db();  // the history writer's connection

  std::shared_ptr<tenant_registry> open_tenants() {
    auto r = tenant_registry::open(file, [this] { return now.load(); });
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
    BOOST_REQUIRE(bool((*r)->create_tenant("acme", "Acme Tutoring")));
    BOOST_REQUIRE(bool((*r)->create_tenant("beta", "Beta Learning")));
    return *r;
  }
  std::shared_ptr<webhook_registry> open_hooks(webhook_policy p) {
    auto r = webhook_registry::open(file, p, [this] { return now.load(); });
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
    return *r;
  }
  std::unique_ptr<database> open_db() {
    auto r = database::open(file);
    BOOST_REQUIRE(bool(r));
    return std::move(*r);
  }

  new_webhook_endpoint add(const std::string& tenant, const std::string& url,
                           std::vector<std::string> events = {"*"}) {
    auto r = hooks->create(tenant, url, events);
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
    return *r;
  }

  /// As the history writer does: in its transaction.
  protocol::error enqueue(const std::string& tenant, const std::string& event_id,
                          const std::string& type, const std::string& body = R"({"x":1})") {
    transaction tx(*db);
    BOOST_REQUIRE(tx.started());
    auto err = enqueue_webhook_event(*db, tenant, event_id, type, body, now);
    if (err.code == errc::none)
      BOOST_REQUIRE(tx.commit().code == errc::none);
    return err;
  }

  webhook_dispatcher_config config(webhook_post_function post = {}) {
    webhook_dispatcher_config c;
    c.now_ms = [this] { return now.load(); };
    c.jitter = 0;
    c.policy = policy;
    c.request_timeout = 2s;
    c.max_attempts = 5;
    c.post = std::move(post);
    return c;
  }
  std::unique_ptr<webhook_dispatcher> dispatcher(webhook_dispatcher_config c) {
    auto r = webhook_dispatcher::open(file, std::move(c));
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
    return std::move(*r);
  }

  struct row {
    std::string state;
    int64_t attempts = -1;
    int64_t next_attempt_ms = 0;
  };
  row outbox(const std::string& endpoint, const std::string& event_id) {
    auto q = db->prepare(
      "SELECT state, attempts, next_attempt_ms FROM webhook_outbox WHERE endpoint = ? AND event_id = ?");
    BOOST_REQUIRE(bool(q));
    q->bind(1, endpoint).bind(2, event_id);
    auto more = q->step();
    BOOST_REQUIRE(bool(more));
    if (!*more)
      return {};
    return {q->text(0), q->integer(1), q->integer(2)};
  }
};

transport::http_reply answer(int status, std::string body = "") {
  return transport::http_reply{status, std::move(body), false};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(webhooks, hooks_fixture)

BOOST_AUTO_TEST_CASE(endpoints_are_created_listed_and_removed_per_tenant) {
  auto a = add("acme", "https://hooks.example.com/a", {"lesson.started", "lesson.ended"});
  BOOST_TEST(a.secret.rfind("whsec_", 0) == 0u);
  BOOST_TEST(a.secret.size() == 70u);
  BOOST_TEST(a.endpoint.id.rfind("we_", 0) == 0u);
  BOOST_TEST(a.endpoint.created_ms == now.load());
  auto b = add("beta", "https://hooks.example.org/b");

  auto mine = hooks->list("acme");
  BOOST_REQUIRE(bool(mine));
  BOOST_REQUIRE(mine->size() == 1u);
  BOOST_TEST(mine->at(0).id == a.endpoint.id);
  BOOST_TEST(mine->at(0).url == "https://hooks.example.com/a");
  BOOST_TEST((mine->at(0).events == std::vector<std::string>{"lesson.started", "lesson.ended"}));
  BOOST_TEST(hooks->list("beta")->size() == 1u);
  BOOST_TEST(hooks->list("nobody")->empty());

  // Another tenant's endpoint is answered exactly as one that does not exist.
  auto foreign = hooks->remove("beta", a.endpoint.id);
  auto unknown = hooks->remove("beta", "we_0000");
  BOOST_TEST((foreign.code == errc::not_found));
  BOOST_TEST((unknown.code == errc::not_found));
  BOOST_TEST(foreign.message == "no webhook endpoint " + a.endpoint.id);
  BOOST_TEST(hooks->list("acme")->size() == 1u);

  BOOST_TEST((hooks->create("nobody", "https://x.example/", {"*"}).err().code == errc::not_found));
  BOOST_TEST((hooks->remove("acme", a.endpoint.id).code == errc::none));
  BOOST_TEST((hooks->remove("acme", a.endpoint.id).code == errc::not_found));
  BOOST_TEST(hooks->list("acme")->empty());
  BOOST_TEST(hooks->list("beta")->at(0).id == b.endpoint.id);
  // Kept across a reopen.
  hooks = open_hooks(policy);
  BOOST_TEST(hooks->list("beta")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_tenant_has_a_bounded_number_of_endpoints) {
  auto few = policy;
  few.max_endpoints_per_tenant = 3;
  hooks = open_hooks(few);
  for (int i = 0; i < 3; ++i)
    add("acme", "https://h.example.com/" + std::to_string(i));
  auto over = hooks->create("acme", "https://h.example.com/3", {"*"});
  BOOST_REQUIRE(!over);
  BOOST_TEST((over.err().code == errc::wrong_state));
  add("beta", "https://h.example.com/other-tenant");
}

BOOST_AUTO_TEST_CASE(urls_are_checked_and_stored_as_given) {
  webhook_policy strict;
  for (const std::string& bad : std::vector<std::string>{
         "ftp://example.com/", "example.com/hook", "http://user:pw@example.com/",
         "http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
         "http://[::1]/", "http://[::]/", "http://0.0.0.0/", "http://localhost/",
         "http://LOCALHOST./", "http://api.localhost:8080/", "http://169.254.169.254/latest",
         "http://[fe80::1]/", "http://224.0.0.1/", "http://255.255.255.255/", "http://10.0.0.5/",
         "http://172.16.3.4/", "http://192.168.1.1/", "http://100.64.0.1/",
         "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/",
         "https://example.com/" + std::string(2048, 'a')}) {
    auto err = validate_webhook_url(bad, strict);
    BOOST_TEST((err.code == errc::bad_request), "accepted: " << bad);
  }
  for (const std::string& good : std::vector<std::string>{
         "https://hooks.example.com/lamplight", "http://93.184.216.34:8080/x?y=1",
         "https://[2606:4700::1111]/h"})
    BOOST_TEST((validate_webhook_url(good, strict).code == errc::none), good);

  webhook_policy loopback;
  loopback.allow_loopback = true;
  BOOST_TEST((validate_webhook_url("http://127.0.0.1:8080/", loopback).code == errc::none));
  BOOST_TEST((validate_webhook_url("http://localhost/", loopback).code == errc::none));
  BOOST_TEST((validate_webhook_url("http://10.0.0.5/", loopback).code == errc::bad_request));
  BOOST_TEST((validate_webhook_url("http://169.254.169.254/", loopback).code == errc::bad_request));
  webhook_policy lan;
  lan.allow_private = true;
  BOOST_TEST((validate_webhook_url("http://10.0.0.5/", lan).code == errc::none));
  BOOST_TEST((validate_webhook_url("http://127.0.0.1/", lan).code == errc::bad_request));

  auto addr = [](const char* a) { return net::ip::make_address(a); };
  BOOST_TEST(webhook_address_allowed(addr("8.8.8.8"), strict));
  BOOST_TEST(!webhook_address_allowed(addr("::ffff:10.0.0.1"), strict));
  BOOST_TEST(webhook_address_allowed(addr("::ffff:10.0.0.1"), lan));
  BOOST_TEST(!webhook_address_allowed(addr("2002:7f00:1::"), strict));  // 6to4 of 127.0.0.1
  BOOST_TEST(!webhook_address_allowed(addr("64:ff9b::7f00:1"), strict));

  // Through the registry (its policy allows loopback here, nothing more).
  BOOST_TEST((hooks->create("acme", "gopher://x/", {"*"}).err().code == errc::bad_request));
  BOOST_TEST((hooks->create("acme", "http://10.1.2.3/", {"*"}).err().code == errc::bad_request));
  BOOST_TEST((hooks->create("acme", "https://a.example/", {}).err().code == errc::bad_request));
  BOOST_TEST((hooks->create("acme", "https://a.example/", {"lesson.started", "nope"}).err().code
              == errc::bad_request));
  auto all = add("acme", "https://a.example/", {"lesson.started", "*"});
  BOOST_TEST((all.endpoint.events == std::vector<std::string>{"*"}));
  auto some = add("acme", "https://a.example/", {"photo.taken", "lesson.started", "photo.taken"});
  BOOST_TEST((some.endpoint.events == std::vector<std::string>{"lesson.started", "photo.taken"}));
  // SQL in a URL is only text.
  std::string sql = "https://a.example/h?q=');DROP%20TABLE%20webhook_endpoints;--&x='1'";
  auto odd = add("acme", sql);
  auto listed = hooks->list("acme");
  BOOST_REQUIRE(bool(listed));
  BOOST_REQUIRE(listed->size() == 3u);
  int found = 0;
  for (const auto& e : *listed)
    if (e.id == odd.endpoint.id && e.url == sql)
      ++found;
  BOOST_TEST(found == 1);
}

BOOST_AUTO_TEST_CASE(events_fan_out_by_subscription_once_per_event_id) {
  auto starts = add("acme", "https://a.example/1", {"lesson.started"});
  auto all = add("acme", "https://a.example/2", {"*"});
  auto hands = add("acme", "https://a.example/3", {"hand.raised"});
  add("beta", "https://b.example/", {"*"});

  BOOST_TEST((enqueue("acme", "ev-1", "lesson.started").code == errc::none));
  BOOST_TEST(outbox(starts.endpoint.id, "ev-1").state == "pending");
  BOOST_TEST(outbox(all.endpoint.id, "ev-1").state == "pending");
  BOOST_TEST(outbox(all.endpoint.id, "ev-1").next_attempt_ms == now.load());
  BOOST_TEST(outbox(hands.endpoint.id, "ev-1").attempts == -1);  // no row
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 2);
  BOOST_TEST(hooks->outbox_counts("beta")->pending == 0);

  // A replay adds nothing.
  BOOST_TEST((enqueue("acme", "ev-1", "lesson.started").code == errc::none));
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 2);
  BOOST_TEST((enqueue("acme", "ev-2", "hand.raised").code == errc::none));
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 4);

  BOOST_TEST((enqueue("acme", "ev-3", "lesson.exploded").code == errc::bad_request));
  BOOST_TEST((enqueue("acme", "", "lesson.started").code == errc::bad_request));
  BOOST_TEST((enqueue("acme", "ev-4", "photo.taken", std::string(300 * 1024, ' ')).code
              == errc::bad_request));

  // Inside the writer's transaction: rolled back with it.
  {
    transaction tx(*db);
    BOOST_TEST((enqueue_webhook_event(*db, "acme", "ev-5", "lesson.ended", "{}", now).code
                == errc::none));
  }
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 4);

  // A disabled endpoint gets nothing new.
  auto off = db->prepare("UPDATE webhook_endpoints SET disabled_ms = ? WHERE id = ?");
  BOOST_REQUIRE(bool(off));
  BOOST_REQUIRE(off->bind(1, now.load()).bind(2, all.endpoint.id).run().code == errc::none);
  BOOST_TEST((enqueue("acme", "ev-6", "lesson.started").code == errc::none));
  BOOST_TEST(outbox(all.endpoint.id, "ev-6").attempts == -1);
  BOOST_TEST(outbox(starts.endpoint.id, "ev-6").state == "pending");
  auto listed = hooks->list("acme");
  BOOST_REQUIRE(bool(listed));
  for (const auto& e : *listed)
    BOOST_TEST(e.disabled_ms == (e.id == all.endpoint.id ? now.load() : 0));
}

BOOST_AUTO_TEST_CASE(signatures_round_trip_and_tampering_is_seen) {
  std::string body = R"({"a":1})";
  auto sig = webhook_signature("whsec_test", 1'800'000'000, body);
  // HMAC-SHA256("whsec_test", "1800000000.{"a":1}"), computed independently.
  BOOST_TEST(sig
             == "t=1800000000,v1=7de5e6bbc99c65ef0ddccacd4308ba03a5a12eb8859a0db070c5ca731c4fdc19");
  BOOST_TEST(verify_webhook_signature("whsec_test", sig, body, 1'800'000'000));
  BOOST_TEST(verify_webhook_signature("whsec_test", sig, body, 1'800'000'300, 300));
  BOOST_TEST(!verify_webhook_signature("whsec_test", sig, body, 1'800'000'301, 300));
  BOOST_TEST(!verify_webhook_signature("whsec_test", sig, body, 1'799'999'699, 300));
  BOOST_TEST(!verify_webhook_signature("whsec_test", sig, R"({"a":2})", 1'800'000'000));
  BOOST_TEST(!verify_webhook_signature("whsec_other", sig, body, 1'800'000'000));
  auto moved = "t=1800000001" + sig.substr(sig.find(','));
  BOOST_TEST(!verify_webhook_signature("whsec_test", moved, body, 1'800'000'000));
  for (const std::string& junk : std::vector<std::string>{
         "", "t=1800000000", sig.substr(sig.find(',') + 1), "t=abc," + sig.substr(sig.find(',') + 1),
         "t=1800000000,v1=", "t=-5," + sig.substr(sig.find(',') + 1)})
    BOOST_TEST(!verify_webhook_signature("whsec_test", junk, body, 1'800'000'000), junk);
  // A second v1 (e.g. during a secret rotation) may be the matching one.
  auto two = "t=1800000000,v1=" + std::string(64, '0') + sig.substr(sig.find(','));
  BOOST_TEST(verify_webhook_signature("whsec_test", two, body, 1'800'000'000));
}

BOOST_AUTO_TEST_CASE(failures_are_retried_with_backoff_and_logged) {
  receiver rx(2);  // 500, 500, then 200
  auto ep = add("acme", rx.url());
  add("beta", "https://b.example/");
  std::string body = R"({"type":"lesson.started","lesson":"L1"})";
  BOOST_REQUIRE(enqueue("acme", "ev-1", "lesson.started", body).code == errc::none);
  auto d = dispatcher(config());
  auto t0 = now.load();

  BOOST_TEST(d->run_once() == 1u);
  BOOST_TEST(d->run_once() == 0u);  // not due again yet
  auto r = outbox(ep.endpoint.id, "ev-1");
  BOOST_TEST(r.state == "pending");
  BOOST_TEST(r.attempts == 1);
  BOOST_TEST(r.next_attempt_ms == t0 + 1000);
  now += 999;
  BOOST_TEST(d->run_once() == 0u);
  now += 1;
  BOOST_TEST(d->run_once() == 1u);
  BOOST_TEST(outbox(ep.endpoint.id, "ev-1").next_attempt_ms == t0 + 1000 + 2000);
  now += 1999;
  BOOST_TEST(d->run_once() == 0u);
  now += 1;
  BOOST_TEST(d->run_once() == 1u);
  BOOST_TEST(d->run_once() == 0u);
  BOOST_TEST(outbox(ep.endpoint.id, "ev-1").state == "delivered");
  BOOST_TEST(outbox(ep.endpoint.id, "ev-1").attempts == 3);

  // Every attempt arrived intact and signed with the time it was sent.
  BOOST_REQUIRE(rx.count() == 3u);
  int64_t sent_at[] = {t0, t0 + 1000, t0 + 3000};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& got = rx.got[i];
    BOOST_TEST(got.method == "POST");
    BOOST_TEST(got.path == "/hook");
    BOOST_TEST(got.body == body);
    BOOST_TEST(got.header("content-type") == "application/json");
    BOOST_TEST(got.header("user-agent") == "lamplight-webhooks/1");
    BOOST_TEST(got.header("lamplight-event-id") == "ev-1");
    BOOST_TEST(got.header("lamplight-event-type") == "lesson.started");
    auto sig = got.header("lamplight-signature");
    BOOST_TEST(sig.rfind("t=" + std::to_string(sent_at[i] / 1000) + ",", 0) == 0u, sig);
    BOOST_TEST(verify_webhook_signature(ep.secret, sig, got.body, sent_at[i] / 1000));
    BOOST_TEST(!verify_webhook_signature(ep.secret, sig, got.body + " ", sent_at[i] / 1000));
  }

  auto log = hooks->deliveries("acme", 10);
  BOOST_REQUIRE(bool(log));
  BOOST_REQUIRE(log->size() == 3u);
  BOOST_TEST(log->at(0).attempt == 3);
  BOOST_TEST(log->at(0).status_code == 200);
  BOOST_TEST(log->at(0).error == "");
  BOOST_TEST(log->at(0).at_ms == t0 + 3000);
  BOOST_TEST((log->at(0).state == webhook_state::delivered));
  BOOST_TEST(log->at(0).event_type == "lesson.started");
  BOOST_TEST(log->at(0).endpoint == ep.endpoint.id);
  BOOST_TEST(log->at(1).attempt == 2);
  BOOST_TEST(log->at(1).status_code == 500);
  BOOST_TEST(log->at(1).error == "HTTP 500: boom");
  BOOST_TEST(log->at(2).attempt == 1);
  BOOST_TEST(log->at(2).at_ms == t0);
  auto failed = hooks->deliveries("acme", 10, true);
  BOOST_TEST(failed->size() == 2u);
  BOOST_TEST(hooks->deliveries("acme", 1)->size() == 1u);
  BOOST_TEST((hooks->deliveries("acme", 0).err().code == errc::bad_request));
  BOOST_TEST(hooks->outbox_counts("acme")->delivered == 1);
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 0);

  // Another tenant sees none of it.
  BOOST_TEST(hooks->deliveries("beta", 10)->empty());
  BOOST_TEST(hooks->outbox_counts("beta")->delivered == 0);

  auto s = d->stats();
  BOOST_TEST(s.delivered == 1u);
  BOOST_TEST(s.failed_attempts == 2u);
  BOOST_TEST(s.given_up == 0u);
}

BOOST_AUTO_TEST_CASE(after_max_attempts_an_event_is_failed) {
  int posts = 0;
  auto ep = add("acme", "https://hooks.example.com/down");
  BOOST_REQUIRE(enqueue("acme", "ev-1", "call.ended").code == errc::none);
  auto cfg = config([&](auto&&...) -> protocol::result<transport::http_reply> {
    ++posts;
    return answer(503, "maintenance\x01\xff");
  });
  cfg.max_attempts = 3;
  auto d = dispatcher(cfg);
  for (int i = 0; i < 10; ++i) {
    d->run_once();
    now += 60 * 60 * 1000;
  }
  BOOST_TEST(posts == 3);
  auto r = outbox(ep.endpoint.id, "ev-1");
  BOOST_TEST(r.state == "failed");
  BOOST_TEST(r.attempts == 3);
  BOOST_TEST(hooks->outbox_counts("acme")->failed == 1);
  auto log = hooks->deliveries("acme", 10, true);
  BOOST_REQUIRE(log->size() == 3u);
  BOOST_TEST((log->at(0).state == webhook_state::failed));
  BOOST_TEST(log->at(0).error == "HTTP 503: maintenance");
  BOOST_TEST(d->stats().given_up == 1u);
  BOOST_TEST(d->stats().failed_attempts == 3u);

  // Old finished events can be purged with their log; pending ones stay.
  BOOST_REQUIRE(enqueue("acme", "ev-2", "call.ended").code == errc::none);
  BOOST_TEST(*hooks->purge(now.load() - 1) == 1);
  BOOST_TEST(*hooks->purge(now.load() + 1) == 0);
  BOOST_TEST(hooks->outbox_counts("acme")->failed == 0);
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 1);
  BOOST_TEST(hooks->deliveries("acme", 10)->empty());
}

BOOST_AUTO_TEST_CASE(a_silent_receiver_costs_one_worker_one_timeout) {
  silent_receiver slow;
  receiver fast;
  auto stuck = add("acme", slow.url());
  auto fine = add("acme", fast.url());
  BOOST_REQUIRE(enqueue("acme", "ev-1", "participant.joined").code == errc::none);
  BOOST_REQUIRE(enqueue("acme", "ev-2", "participant.left").code == errc::none);
  auto cfg = config();
  cfg.request_timeout = 1500ms;
  cfg.concurrency = 2;
  auto d = dispatcher(cfg);
  d->start();
  // While one worker waits for the silent receiver, the other endpoint's
  // events go through (well within the timeout), and the silent endpoint
  // gets no second connection: one delivery in flight per endpoint.
  BOOST_TEST(slow.wait_for(1));
  BOOST_TEST(fast.wait_for(2));
  BOOST_TEST(slow.count() == 1);
  BOOST_TEST(outbox(stuck.endpoint.id, "ev-1").attempts + outbox(stuck.endpoint.id, "ev-2").attempts
             == 0);
  d->stop();  // waits for the stuck worker: at most the timeout
  BOOST_TEST(outbox(fine.endpoint.id, "ev-1").state == "delivered");
  BOOST_TEST(outbox(fine.endpoint.id, "ev-2").state == "delivered");
  auto log = hooks->deliveries("acme", 10, true);
  BOOST_REQUIRE(!log->empty());
  for (const auto& attempt : *log) {
    BOOST_TEST(attempt.endpoint == stuck.endpoint.id);
    BOOST_TEST(attempt.status_code == 0);
    BOOST_TEST(attempt.error.rfind("timeout:", 0) == 0u, attempt.error);
    BOOST_TEST(attempt.duration_ms >= 1400);
    BOOST_TEST(attempt.duration_ms < 5000);
  }
  BOOST_TEST(d->stats().delivered == 2u);
  BOOST_TEST(d->stats().failed_attempts == log->size());
}

BOOST_AUTO_TEST_CASE(a_lease_keeps_others_off_and_expires_with_a_dead_dispatcher) {
  auto ep = add("acme", "https://hooks.example.com/a");
  BOOST_REQUIRE(enqueue("acme", "ev-1", "lesson.ended").code == errc::none);
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  auto hung = dispatcher(config([&](auto&&...) -> protocol::result<transport::http_reply> {
    entered.set_value();
    released.wait();
    return answer(500);
  }));
  int posts = 0;
  auto other = dispatcher(config([&](auto&&...) -> protocol::result<transport::http_reply> {
    ++posts;
    return answer(204);
  }));

  std::thread a([&] { hung->run_once(1); });
  entered.get_future().wait();
  // In flight on the first: the second does not take it.
  BOOST_TEST(other->run_once() == 0u);
  now += 59'999;
  BOOST_TEST(other->run_once() == 0u);
  // The first is as good as dead: its lease ran out.
  now += 1;
  BOOST_TEST(other->run_once() == 1u);
  BOOST_TEST(posts == 1);
  BOOST_TEST(outbox(ep.endpoint.id, "ev-1").state == "delivered");
  // The first comes back late: its attempt is logged, the row stays delivered.
  release.set_value();
  a.join();
  auto r = outbox(ep.endpoint.id, "ev-1");
  BOOST_TEST(r.state == "delivered");
  BOOST_TEST(r.attempts == 2);
  BOOST_TEST(hooks->deliveries("acme", 10)->size() == 2u);
  now += 24 * 3600 * 1000;
  BOOST_TEST(other->run_once() == 0u);
  BOOST_TEST(hung->run_once() == 0u);
}

BOOST_AUTO_TEST_CASE(the_outbox_survives_a_restart) {
  receiver rx;
  auto ep = add("acme", rx.url());
  BOOST_REQUIRE(enqueue("acme", "ev-1", "hand.raised").code == errc::none);
  BOOST_REQUIRE(enqueue("acme", "ev-2", "photo.taken").code == errc::none);
  {
    auto before = dispatcher(config([](auto&&...) -> protocol::result<transport::http_reply> {
      return protocol::error{errc::unavailable, "connect: refused"};
    }));
    BOOST_TEST(before->run_once() == 2u);
  }
  hooks.reset();
  db.reset();
  tenants.reset();
  // A new process on the same file.
  hooks = open_hooks(policy);
  db = open_db();
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 2);
  auto after = dispatcher(config());
  BOOST_TEST(after->run_once() == 0u);  // backing off
  now += 1000;
  BOOST_TEST(after->run_once() == 2u);
  BOOST_REQUIRE(rx.count() == 2u);
  std::set<std::string> ids{rx.got[0].header("lamplight-event-id"),
                            rx.got[1].header("lamplight-event-id")};
  BOOST_TEST((ids == std::set<std::string>{"ev-1", "ev-2"}));
  BOOST_TEST(hooks->outbox_counts("acme")->delivered == 2);
  BOOST_TEST(outbox(ep.endpoint.id, "ev-1").attempts == 2);
  auto log = hooks->deliveries("acme", 10, true);
  BOOST_REQUIRE(log->size() == 2u);
  BOOST_TEST(log->at(0).error == "unavailable: connect: refused");
}

BOOST_AUTO_TEST_CASE(refused_destinations_are_failed_attempts) {
  receiver rx;
  auto ep = add("acme", rx.url());  // registered while loopback was allowed
  BOOST_REQUIRE(enqueue("acme", "ev-1", "lesson.started").code == errc::none);
  auto cfg = config();
  cfg.policy = webhook_policy{};  // the operator turned it off since
  auto d = dispatcher(cfg);
  BOOST_TEST(d->run_once() == 1u);
  BOOST_TEST(rx.count() == 0u);
  auto log = hooks->deliveries("acme", 10);
  BOOST_REQUIRE(log->size() == 1u);
  BOOST_TEST(log->at(0).status_code == 0);
  BOOST_TEST(log->at(0).error.rfind("refused:", 0) == 0u, log->at(0).error);
  BOOST_TEST(outbox(ep.endpoint.id, "ev-1").state == "pending");

  // A name is checked once resolved, by the address predicate handed to
  // the client, with the dispatcher's policy.
  add("beta", "https://hooks.example.com/b");
  BOOST_REQUIRE(enqueue("beta", "ev-2", "lesson.started").code == errc::none);
  bool refuses_loopback = false;
  bool allows_public = false;
  auto strict = config([&](const std::string&, const transport::http_headers&, const std::string&,
                           const transport::http_post_options& o)
                         -> protocol::result<transport::http_reply> {
    refuses_loopback = o.allow_address && !o.allow_address(net::ip::make_address("127.0.0.1"));
    allows_public = o.allow_address && o.allow_address(net::ip::make_address("93.184.216.34"));
    return answer(200);
  });
  strict.policy = webhook_policy{};
  BOOST_TEST(dispatcher(strict)->run_once() == 1u);
  BOOST_TEST(refuses_loopback);
  BOOST_TEST(allows_public);
}

BOOST_AUTO_TEST_CASE(removing_an_endpoint_drops_its_undelivered_events) {
  auto ep = add("acme", "https://hooks.example.com/a");
  BOOST_REQUIRE(enqueue("acme", "ev-1", "lesson.started").code == errc::none);
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 1);
  BOOST_TEST((hooks->remove("acme", ep.endpoint.id).code == errc::none));
  BOOST_TEST(hooks->outbox_counts("acme")->pending == 0);
  int posts = 0;
  auto d = dispatcher(config([&](auto&&...) -> protocol::result<transport::http_reply> {
    ++posts;
    return answer(200);
  }));
  BOOST_TEST(d->run_once() == 0u);
  BOOST_TEST(posts == 0);
}

BOOST_AUTO_TEST_CASE(backoff_doubles_to_its_cap_with_bounded_jitter) {
  webhook_dispatcher_config c;
  c.jitter = 0;
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 1, 0.5) == 1000);
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 2, 0.5) == 2000);
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 11, 0.5) == 1024 * 1000);
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 13, 0.5) == 3600 * 1000);
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 1000, 0.5) == 3600 * 1000);
  c.jitter = 0.2;
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 1, 0.0) == 1000);
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 1, 0.5) == 900);
  BOOST_TEST(webhook_dispatcher::backoff_ms(c, 1, 0.999) > 800);

  auto bad = config();
  bad.lease = bad.request_timeout;
  BOOST_TEST((webhook_dispatcher::open(file, bad).err().code == errc::bad_request));
  bad = config();
  bad.max_attempts = 0;
  BOOST_TEST((webhook_dispatcher::open(file, bad).err().code == errc::bad_request));
}

BOOST_AUTO_TEST_SUITE_END()
