// Bad input at the session: every case gets a typed error and changes nothing.
#include "tests/actors/actor_fixture.hpp"

using namespace lamplight::test;

namespace {

struct gateway_fixture : actor_fixture {
  protocol::token_claims teacher = [] {
    auto c = claims("t-ann", sig::ROLE_TEACHER);
    c.mode = sig::MODE_SMALL_GROUP;
    return c;
  }();

  sig::ServerMessage last(client& c) {
    BOOST_REQUIRE(!c.link->received.empty());
    return c.link->received.back();
  }

  sig::ServerMessage join_with(client& c, const std::string& tok) {
    sig::ClientMessage m;
    m.mutable_join()->set_token(tok);
    return request(c, m);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(gateway_session, gateway_fixture)

BOOST_AUTO_TEST_CASE(requests_before_join_are_not_joined) {
  auto& c = connect();
  BOOST_TEST((code_of(request(c, raise_hand())) == errc::not_joined));
  sig::ClientMessage ping;
  ping.mutable_ping()->set_client_time_ms(5);
  auto pong = request(c, ping);
  BOOST_TEST(pong.pong().client_time_ms() == 5);
}

BOOST_AUTO_TEST_CASE(connections_that_never_join_are_closed) {
  auto& idle = connect();
  auto& joined = join(teacher);
  advance(std::chrono::seconds(14));
  BOOST_TEST(!idle.link->closed);
  advance(std::chrono::seconds(1));
  BOOST_TEST(idle.link->closed);
  BOOST_TEST((code_of(last(idle)) == errc::unauthenticated));
  BOOST_TEST(!joined.link->closed);
}

BOOST_AUTO_TEST_CASE(bad_tokens_are_refused) {
  auto& c = connect();
  BOOST_TEST((code_of(join_with(c, "garbage")) == errc::unauthenticated));
  BOOST_TEST((code_of(join_with(c, protocol::sign_token(teacher, "wrong-secret-wrong-secret")))
              == errc::unauthenticated));
  auto expired = teacher;
  expired.expires_at = now_s() - 1;
  BOOST_TEST((code_of(join_with(c, token(expired))) == errc::token_expired));
  // A student cannot create a classroom; nothing was created by any of this.
  BOOST_TEST((code_of(join_with(c, token(claims("s-1", sig::ROLE_STUDENT))))
              == errc::classroom_not_found));
  auto bad_id = teacher;
  bad_id.classroom = "../../etc";
  BOOST_TEST((code_of(join_with(c, token(bad_id))) == errc::bad_request));
  // Still usable afterwards.
  BOOST_TEST(join_with(c, token(teacher)).has_joined());
  BOOST_TEST((code_of(join_with(c, token(teacher))) == errc::already_joined));
}

BOOST_AUTO_TEST_CASE(malformed_frames_get_typed_errors) {
  auto& c = join(teacher);
  auto before = snapshot("room-1").SerializeAsString();
  send_frame(c, "{\"requestId\":\"77\", \"raiseHand\": ", wire_format::json);
  BOOST_TEST(last(c).request_id() == 77u);
  BOOST_TEST((code_of(last(c)) == errc::bad_request));
  send_frame(c, R"({"requestId":"78","teleport":{}})", wire_format::json);
  BOOST_TEST((code_of(last(c)) == errc::unknown_message));
  BOOST_TEST(last(c).request_id() == 78u);
  send_frame(c, std::string("\x08\x4f\xff\xff", 4), wire_format::binary);
  BOOST_TEST((code_of(last(c)) == errc::bad_request));
  BOOST_TEST(last(c).request_id() == 79u);
  send_frame(c, std::string(70 * 1024, '{'), wire_format::json);
  BOOST_TEST((code_of(last(c)) == errc::payload_too_large));
  send_frame(c, "", wire_format::binary);
  BOOST_TEST((code_of(last(c)) == errc::bad_request));
  BOOST_TEST(snapshot("room-1").SerializeAsString() == before);
  // The replies follow the format of the frame they answer.
  BOOST_TEST((c.link->formats.back() == wire_format::binary));
}

BOOST_AUTO_TEST_CASE(wrong_state_and_unknown_ids) {
  auto& t = join(teacher);
  auto& s = join(claims("s-cy", sig::ROLE_STUDENT));
  BOOST_TEST((code_of(request(s, accept_call("no-such-call"))) == errc::not_found));
  BOOST_TEST((code_of(request(s, invite("t-ann"))) == errc::permission_denied));
  BOOST_TEST(snapshot("room-1").calls_size() == 0);
  auto r = request(t, invite("s-cy"));
  auto id = r.call_invited().call_id();
  BOOST_TEST((code_of(request(t, accept_call(id))) == errc::permission_denied));  // caller
  BOOST_TEST((code_of(request(s, hangup_call(id))) == errc::wrong_state));  // still ringing
  BOOST_TEST((code_of(request(t, invite("s-cy"))) == errc::wrong_state));   // already calling
  BOOST_TEST((code_of(request(t, invite("nobody"))) == errc::wrong_state));
}

BOOST_AUTO_TEST_CASE(tenants_do_not_cross) {
  join(teacher);
  auto other = teacher;
  other.tenant = "globex";
  auto& g = join(other);  // same classroom id, another tenant: another classroom
  BOOST_TEST(g.reply(1)->joined().snapshot().tenant() == "globex");
  BOOST_TEST(g.reply(1)->joined().snapshot().members_size() == 1);
  BOOST_TEST(snapshot("room-1", "", "acme").members_size() == 1);
  BOOST_TEST(snapshot("room-1", "", "globex").members_size() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
