// lamplight-node as a user meets it: a real process on loopback ports it
// picks itself, real WebSocket clients speaking JSON (browsers) and binary
// protobuf (lamps), real HTTP.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <regex>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "protocol/codec.hpp"
#include "protocol/token.hpp"
#include "tests/nodes/node/metrics_text.hpp"
#include "tests/support/node_process.hpp"
#include "transport/websocket_client.hpp"

using namespace std::chrono_literals;
using lamplight::test::child_process;
using lamplight::test::temp_dir;
namespace sig = lamplight::signal::v1;
namespace protocol = lamplight::protocol;
namespace transport = lamplight::transport;
using protocol::wire_format;

namespace {

/// Short grace and ring timeouts keep the call tests quick.
struct node_process : lamplight::test::node_process {
  explicit node_process(std::vector<std::string> extra = {})
    : lamplight::test::node_process(with_timeouts(std::move(extra))) {}
  void start(std::vector<std::string> extra = {}) {
    lamplight::test::node_process::start(with_timeouts(std::move(extra)));
  }
  static std::vector<std::string> with_timeouts(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--reconnect-grace", "300ms", "--ring-timeout", "2s"});
    return extra;
  }
};

/// A signaling client over a real WebSocket.
struct ws_client {
  transport::websocket_client ws;
  wire_format fmt;
  uint64_t next = 1;
  std::vector<sig::ServerMessage> seen;

  ws_client(uint16_t port, wire_format f) : fmt(f) {
    BOOST_REQUIRE_MESSAGE(ws.connect("127.0.0.1", port, "/signal"), ws.error());
  }

  void send_raw(const std::string& frame, wire_format f) {
    BOOST_REQUIRE(f == wire_format::binary ? ws.send_binary(frame) : ws.send_text(frame));
  }

  /// Next message matching `pred` (others are kept in `seen`), bounded.
  template <class Pred>
  std::optional<sig::ServerMessage> wait(Pred pred, std::chrono::milliseconds timeout = 5s) {
    for (auto& m : seen)
      if (pred(m))
        return m;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      auto frame = ws.read(left);
      if (!frame)
        break;
      // The node answers in the format the client speaks.
      BOOST_TEST((frame->binary == (fmt == wire_format::binary)));
      auto msg = protocol::decode_server(frame->data,
                                         frame->binary ? wire_format::binary : wire_format::json);
      BOOST_REQUIRE(bool(msg));
      seen.push_back(*msg);
      if (pred(*msg))
        return *msg;
    }
    return std::nullopt;
  }

  sig::ServerMessage request(sig::ClientMessage m) {
    auto rid = next++;
    m.set_request_id(rid);
    send_raw(protocol::encode_client(m, fmt), fmt);
    auto r = wait([&](const sig::ServerMessage& x) { return x.request_id() == rid; });
    BOOST_REQUIRE_MESSAGE(r.has_value(), "no reply to " << m.ShortDebugString());
    return *r;
  }

  sig::ServerMessage join(const std::string& token) {
    sig::ClientMessage m;
    m.mutable_join()->set_token(token);
    return request(m);
  }
};

bool phase(const sig::ServerMessage& m, sig::CallPhase p,
           sig::CallEndReason r = sig::CALL_END_UNSPECIFIED) {
  return m.has_call_update() && m.call_update().phase() == p
         && (r == sig::CALL_END_UNSPECIFIED || m.call_update().reason() == r);
}

lamplight::protocol::errc code_of(const sig::ServerMessage& m) {
  return m.has_error() ? protocol::from_proto(m.error().code()) : protocol::errc::none;
}

/// GET /metrics, checked as a scraper reads it.
lamplight::test::metrics_text scrape(uint16_t port) {
  auto r = transport::http_get("127.0.0.1", port, "/metrics");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
  BOOST_TEST(r.content_type == "text/plain; version=0.0.4");
  auto m = lamplight::test::parse_metrics(r.body);
  BOOST_TEST(m.errors.empty(), m.error_text());
  return m;
}

/// Scrapes until `series` has `value` (classrooms and sessions report to
/// the directory asynchronously); bounded.
bool metric_becomes(uint16_t port, const std::string& series, double value,
                    std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  double last = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    last = scrape(port).value(series);
    if (last == value)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST_MESSAGE(series << " stayed " << last << ", expected " << value);
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(node)

BOOST_AUTO_TEST_CASE(http_endpoints) {
  node_process node;
  auto health = transport::http_get("127.0.0.1", node.http_port, "/healthz");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.body.find("\"status\":\"ok\"") != std::string::npos, health.body);
  auto index = transport::http_get("127.0.0.1", node.http_port, "/");
  BOOST_TEST(index.status == 200);
  BOOST_TEST(index.content_type.find("text/html") != std::string::npos);
  BOOST_TEST(transport::http_get("127.0.0.1", node.http_port, "/../../etc/passwd").status == 404);
  BOOST_TEST(transport::http_get("127.0.0.1", node.http_port, "/dev/token?tenant=a").status == 400);
  BOOST_TEST(transport::http_request_once("127.0.0.1", node.http_port, "POST", "/healthz").status
             == 405);
  // A loopback node as the README starts it: development tokens for the
  // built-in demo tenant only; real tenants' come from their own keys.
  node_process plain({"--dev-tokens", "auto"});
  auto dev = [&](uint16_t port, const std::string& tenant) {
    return transport::http_get("127.0.0.1", port,
                               "/dev/token?tenant=" + tenant
                                 + "&classroom=b&identity=c&role=teacher&mode=one_on_one");
  };
  BOOST_TEST(dev(plain.http_port, "demo").status == 200);
  auto refused = dev(plain.http_port, "acme");
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(refused.body.find("demo tenant") != std::string::npos, refused.body);
  BOOST_TEST(dev(node.http_port, "acme").status == 200);  // --dev-tokens any
  node_process locked({"--dev-tokens", "off"});
  BOOST_TEST(transport::http_get("127.0.0.1", locked.http_port,
                                 "/dev/token?tenant=a&classroom=b&identity=c&role=teacher")
               .status
             == 404);
}

BOOST_AUTO_TEST_CASE(browser_and_lamp_call_over_websocket) {
  node_process node;
  ws_client teacher(node.http_port, wire_format::json);
  ws_client lamp(node.http_port, wire_format::binary);
  BOOST_REQUIRE(teacher.join(node.token("t-ann", "teacher", "&mode=one_on_one")).has_joined());
  auto j = lamp.join(node.token("s-cy", "student"));
  BOOST_REQUIRE(j.has_joined());
  BOOST_TEST(j.joined().snapshot().members_size() == 2);
  BOOST_TEST(teacher.wait([](auto& m) { return m.has_event() && m.event().has_member_joined(); })
               .has_value());
  sig::ClientMessage invite;
  invite.mutable_call_invite()->set_callee("s-cy");
  auto r = teacher.request(invite);
  BOOST_REQUIRE_MESSAGE(r.has_call_invited(), r.ShortDebugString());
  auto id = r.call_invited().call_id();
  BOOST_REQUIRE(lamp.wait([](auto& m) { return m.has_incoming_call(); }).has_value());
  sig::ClientMessage accept;
  accept.mutable_call_accept()->set_call_id(id);
  BOOST_TEST(lamp.request(accept).has_ack());
  sig::ClientMessage ready;
  ready.mutable_call_media_ready()->set_call_id(id);
  BOOST_TEST(lamp.request(ready).has_ack());
  BOOST_REQUIRE(teacher.wait([](auto& m) { return phase(m, sig::CALL_PHASE_CONNECTING); }));
  BOOST_TEST(teacher.request(ready).has_ack());
  BOOST_TEST(teacher.wait([](auto& m) { return phase(m, sig::CALL_PHASE_CONNECTED); }).has_value());
  BOOST_TEST(lamp.wait([](auto& m) { return phase(m, sig::CALL_PHASE_CONNECTED); }).has_value());

  // The lamp vanishes: after the reconnect grace the teacher's call ends.
  lamp.ws.abort();
  BOOST_TEST(teacher
               .wait([](auto& m) {
                 return phase(m, sig::CALL_PHASE_ENDED, sig::CALL_END_PEER_DROPPED);
               })
               .has_value());
}

BOOST_AUTO_TEST_CASE(bad_input_gets_typed_errors_and_the_node_survives) {
  node_process node;
  ws_client c(node.http_port, wire_format::json);
  sig::ClientMessage hand;
  hand.mutable_raise_hand();
  BOOST_TEST((code_of(c.request(hand)) == protocol::errc::not_joined));
  BOOST_TEST((code_of(c.join("not.a.token")) == protocol::errc::unauthenticated));
  c.send_raw(R"({"requestId":"50","raiseHand":)", wire_format::json);
  auto e = c.wait([](auto& m) { return m.request_id() == 50; });
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST((code_of(*e) == protocol::errc::bad_request));
  c.send_raw(R"({"requestId":"51","teleport":{}})", wire_format::json);
  e = c.wait([](auto& m) { return m.request_id() == 51; });
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST((code_of(*e) == protocol::errc::unknown_message));
  c.send_raw(R"({"requestId":"52","ping":{"clientTimeMs":"1"},"x":")" + std::string(70000, 'a')
               + "\"}",
             wire_format::json);
  e = c.wait([](auto& m) { return m.request_id() == 52; });
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST((code_of(*e) == protocol::errc::payload_too_large));
  // Beyond what the socket accepts at all: the connection is closed (1009).
  ws_client huge(node.http_port, wire_format::binary);
  // The node may close before the write even finishes; either way is fine.
  bool written = huge.ws.send_binary(std::string(2 * 1024 * 1024, 'x'));
  huge.wait([](auto&) { return false; }, 3s);
  BOOST_TEST(huge.ws.closed());
  if (written)  // else the reset may beat the close frame to the client
    BOOST_TEST(huge.ws.close_code() == 1009);
  // Garbage on the raw TCP port.
  auto garbage = transport::http_request_once("127.0.0.1", node.http_port, "BREW", "/coffee");
  (void) garbage;
  // Everyone else is still served.
  ws_client t(node.http_port, wire_format::json);
  BOOST_TEST(t.join(node.token("t-ann", "teacher", "&mode=small_group")).has_joined());
  BOOST_TEST(transport::http_get("127.0.0.1", node.http_port, "/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(metrics_follow_members_calls_and_errors) {
  node_process node({"--media-workers", "2"});
  auto m = scrape(node.http_port);
  BOOST_TEST(m.value("lamplight_classrooms") == 0);
  BOOST_TEST(m.value("lamplight_members") == 0);
  BOOST_TEST(m.value("lamplight_media_workers") == 2);
  BOOST_TEST(m.value("lamplight_media_peers") == 0);
  BOOST_TEST(m.value("lamplight_media_rtp_forwarded_total") == 0);
  BOOST_TEST(m.value("lamplight_call_outcomes_total{outcome=\"rejected\"}") == 0);
  BOOST_TEST(m.value("lamplight_process_resident_bytes") > 1e6);
  BOOST_TEST(m.value("lamplight_process_cpu_seconds_total") > 0);
  BOOST_TEST(m.value("lamplight_uptime_seconds") >= 0);
  BOOST_TEST((transport::http_request_once("127.0.0.1", node.http_port, "POST", "/metrics").status
              == 405));

  ws_client teacher(node.http_port, wire_format::json);
  ws_client lamp(node.http_port, wire_format::binary);
  BOOST_REQUIRE(teacher.join(node.token("t-ann", "teacher", "&mode=one_on_one")).has_joined());
  BOOST_REQUIRE(lamp.join(node.token("s-cy", "student")).has_joined());
  m = scrape(node.http_port);
  BOOST_TEST(m.value("lamplight_classrooms") == 1);
  BOOST_TEST(m.value("lamplight_members") == 2);
  BOOST_TEST(m.value("lamplight_members_online") == 2);

  // A call the lamp rejects.
  sig::ClientMessage invite;
  invite.mutable_call_invite()->set_callee("s-cy");
  auto r = teacher.request(invite);
  BOOST_REQUIRE_MESSAGE(r.has_call_invited(), r.ShortDebugString());
  BOOST_REQUIRE(lamp.wait([](auto& x) { return x.has_incoming_call(); }).has_value());
  sig::ClientMessage reject;
  reject.mutable_call_reject()->set_call_id(r.call_invited().call_id());
  BOOST_TEST(lamp.request(reject).has_ack());
  BOOST_TEST(metric_becomes(node.http_port, "lamplight_call_outcomes_total{outcome=\"rejected\"}",
                            1));
  m = scrape(node.http_port);
  BOOST_TEST(m.value("lamplight_call_outcomes_total{outcome=\"connected\"}") == 0);
  BOOST_TEST(m.value("lamplight_call_outcomes_total{outcome=\"cancelled\"}") == 0);

  // Bad requests, each counted under its code.
  teacher.send_raw(R"({"requestId":"70","raiseHand":)", wire_format::json);
  BOOST_REQUIRE(teacher.wait([](auto& x) { return x.request_id() == 70; }).has_value());
  ws_client stranger(node.http_port, wire_format::json);
  sig::ClientMessage hand;
  hand.mutable_raise_hand();
  BOOST_TEST((code_of(stranger.request(hand)) == protocol::errc::not_joined));
  BOOST_TEST(
    metric_becomes(node.http_port, "lamplight_requests_failed_total{code=\"bad_request\"}", 1));
  BOOST_TEST(
    metric_becomes(node.http_port, "lamplight_requests_failed_total{code=\"not_joined\"}", 1));
  BOOST_TEST(scrape(node.http_port).value("lamplight_requests_failed_total{code=\"internal\"}")
             == 0);

  // The operators' view, from loopback.
  auto admin = transport::http_get("127.0.0.1", node.http_port, "/admin/status");
  BOOST_REQUIRE_MESSAGE(admin.status == 200, admin.body);
  BOOST_TEST(admin.content_type.find("application/json") != std::string::npos);
  google::protobuf::Struct js;
  BOOST_REQUIRE_MESSAGE(google::protobuf::util::JsonStringToMessage(admin.body, &js).ok(),
                        admin.body);
  const auto& f = js.fields();
  BOOST_TEST(f.at("node").string_value() == "lamplight");
  const auto& rooms = f.at("classrooms").list_value();
  BOOST_REQUIRE(rooms.values_size() == 1);
  const auto& room = rooms.values(0).struct_value().fields();
  BOOST_TEST(room.at("tenant").string_value() == "acme");
  BOOST_TEST(room.at("id").string_value() == "room-1");
  BOOST_TEST(room.at("mode").string_value() == "one_on_one");
  BOOST_TEST(room.at("members").number_value() == 2);
  BOOST_TEST(room.at("online").number_value() == 2);
  const auto& workers = f.at("mediaWorkers").list_value();
  BOOST_REQUIRE(workers.values_size() == 2);
  BOOST_TEST(workers.values(0).struct_value().fields().at("port").number_value()
             == node.media_port);  // READY names the first worker's port first
  BOOST_TEST(f.at("callOutcomes").struct_value().fields().at("rejected").number_value() == 1);
  BOOST_TEST((transport::http_request_once("127.0.0.1", node.http_port, "POST", "/admin/status")
                .status
              == 405));

  // The lamp drops: offline at once, its seat gone after the grace.
  lamp.ws.abort();
  BOOST_TEST(metric_becomes(node.http_port, "lamplight_members_online", 1));
  BOOST_TEST(metric_becomes(node.http_port, "lamplight_members", 1));
  BOOST_TEST(scrape(node.http_port).value("lamplight_classrooms") == 1);
}

BOOST_AUTO_TEST_CASE(graceful_restart_keeps_classroom_state) {
  node_process node;
  {
    ws_client t(node.http_port, wire_format::json);
    ws_client s(node.http_port, wire_format::binary);
    BOOST_REQUIRE(t.join(node.token("t-ann", "teacher", "&mode=small_group")).has_joined());
    BOOST_REQUIRE(s.join(node.token("s-cy", "student")).has_joined());
    sig::ClientMessage hand;
    hand.mutable_raise_hand();
    BOOST_TEST(s.request(hand).has_ack());
    sig::ClientMessage stroke;
    auto* st = stroke.mutable_whiteboard()->mutable_stroke();
    st->set_stroke_id("s1");
    st->add_points(0.25f);
    st->add_points(0.75f);
    BOOST_TEST(t.request(stroke).has_ack());
  }
  auto rc = node.proc->stop(SIGTERM, 20s);
  BOOST_REQUIRE(rc.has_value());
  BOOST_TEST(*rc == 0);
  node.proc->read_line(1s);  // whatever is left in the pipe
  bool flushed = false;
  for (auto& l : node.proc->lines())
    flushed = flushed || l.find("journals flushed") != std::string::npos;
  BOOST_TEST(flushed);
  node.start();
  ws_client t(node.http_port, wire_format::json);
  auto j = t.join(node.token("t-ann", "teacher"));
  BOOST_REQUIRE_MESSAGE(j.has_joined(), j.ShortDebugString());
  const auto& snap = j.joined().snapshot();
  BOOST_TEST(snap.hand_queue_size() == 1);
  BOOST_REQUIRE(snap.whiteboard_size() == 1);
  BOOST_TEST(snap.whiteboard(0).stroke().stroke_id() == "s1");
  BOOST_TEST(snap.members_size() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
