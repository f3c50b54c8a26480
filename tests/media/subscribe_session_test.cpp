// The SFU's subscribe session as a client meets it: offers written by the
// session, answered the way a lamp answers (make_session_answer) or edited
// the way a broken or hostile client would, read back by the session.
#include <boost/test/unit_test.hpp>

#include <functional>

#include "media/sdp_offer.hpp"
#include "media/subscribe_session.hpp"

using namespace lamplight::media;
using lamplight::protocol::errc;

namespace {

bool ok(const lamplight::protocol::error& e) { return e.code == errc::none; }

subscribe_session::endpoint sfu() {
  return {"sfuufrag", "sfupassword0123456789012", "sha-256 AA:BB", "127.0.0.1", 40000};
}

offer_params lamp(const std::string& ufrag = "lampufrg") {
  offer_params p;
  p.ice_ufrag = ufrag;
  p.ice_pwd = "lamppassword012345678901";
  p.fingerprint = "sha-256 CC:DD";
  return p;
}

subscribe_session::track audio(const std::string& id, uint32_t ssrc, const std::string& owner = "t-1") {
  return {id, "audio", owner, ssrc};
}
subscribe_session::track video(const std::string& id, uint32_t ssrc, const std::string& owner = "t-1") {
  return {id, "video", owner, ssrc};
}

session_description parsed(const std::string& sdp) {
  auto p = parse_sdp(sdp);
  if (!p)
    BOOST_FAIL(p.err().message);
  return *p;
}

/// The session's next offer, parsed.
session_description next_offer(subscribe_session& s) {
  auto o = s.offer();
  if (!o)
    BOOST_FAIL(o.err().message);
  return parsed(*o);
}

/// A lamp's answer to `offer`, as text.
std::string lamp_answer(const session_description& offer, const offer_params& p = lamp()) {
  auto a = make_session_answer(offer, p);
  if (!a)
    BOOST_FAIL(a.err().message);
  return write_sdp(*a);
}

subscribe_session::answered settle(subscribe_session& s, const std::string& answer) {
  auto r = s.answer(answer);
  if (!r)
    BOOST_FAIL(r.err().message);
  return *r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(subscribe_session_tests)

BOOST_AUTO_TEST_CASE(the_first_offer_bundles_every_watched_track_on_one_transport) {
  subscribe_session s(sfu(), 77);
  BOOST_TEST(ok(s.add(audio("mic", 0xA1))));
  BOOST_TEST(ok(s.add(video("cam", 0xB1))));
  BOOST_TEST(s.pending());
  auto offer = next_offer(s);
  BOOST_TEST(to_string(s.state()) == std::string("have-local-offer"));
  BOOST_TEST(offer.origin == "- 77 1 IN IP4 127.0.0.1");
  BOOST_TEST(offer.ice_lite);
  BOOST_TEST(offer.bundle == (std::vector<std::string>{"0", "1"}));
  BOOST_REQUIRE(offer.media.size() == 2u);
  const auto& v = offer.media[1];
  BOOST_TEST(v.kind == "video");
  BOOST_TEST(v.mid == "1");
  BOOST_TEST((v.direction == sdp_direction::sendonly));
  BOOST_TEST(v.setup == "actpass");
  BOOST_TEST(v.ice_ufrag == "sfuufrag");
  BOOST_TEST(v.rtcp_mux);
  BOOST_TEST(v.msid == "t-1 cam");
  BOOST_REQUIRE(!v.ssrcs.empty());
  BOOST_TEST(v.ssrcs[0].ssrc == 0xB1u);
  BOOST_TEST(v.codec("VP8") != nullptr);
  BOOST_TEST(v.extmaps.empty());  // demultiplexed by SSRC
  BOOST_TEST(v.candidates.at(0) == "1 1 udp 2130706431 127.0.0.1 40000 typ host");
  BOOST_TEST(offer.media[0].codec("opus") != nullptr);

  auto done = settle(s, lamp_answer(offer));
  BOOST_TEST(done.first);
  BOOST_TEST(done.accepted == (std::vector<std::string>{"mic", "cam"}));
  BOOST_TEST(done.refused.empty());
  BOOST_TEST(done.client.ice_ufrag == "lampufrg");
  BOOST_TEST(done.client.fingerprint == "sha-256 CC:DD");
  BOOST_TEST(to_string(s.state()) == std::string("stable"));
  BOOST_TEST(!s.pending());
}

BOOST_AUTO_TEST_CASE(tracks_come_and_go_by_renegotiating_the_same_sections) {
  subscribe_session s(sfu(), 1);
  BOOST_TEST(ok(s.add(audio("mic", 0xA1))));
  BOOST_TEST(ok(s.add(video("face", 0xB1))));
  settle(s, lamp_answer(next_offer(s)));

  // The teacher switches from face camera to desk camera: the desk
  // camera takes over the face camera's section.
  BOOST_TEST(ok(s.remove("face")));
  BOOST_TEST(ok(s.add(video("desk", 0xB2))));
  BOOST_TEST(*s.mid_of("desk") == "1");
  auto offer = next_offer(s);
  BOOST_TEST(offer.origin == "- 1 2 IN IP4 127.0.0.1");  // the version grows
  BOOST_REQUIRE(offer.media.size() == 2u);
  BOOST_TEST(offer.media[1].msid == "t-1 desk");
  BOOST_TEST(offer.media[1].ssrcs.at(0).ssrc == 0xB2u);
  auto done = settle(s, lamp_answer(offer));
  BOOST_TEST(!done.first);
  BOOST_TEST(done.accepted == (std::vector<std::string>{"mic", "desk"}));

  // A second owner's camera needs a new section; the mic's goes quiet but
  // stays bundled.
  BOOST_TEST(ok(s.add(video("s-2-cam", 0xC1, "s-2"))));
  BOOST_TEST(ok(s.remove("mic")));
  offer = next_offer(s);
  BOOST_REQUIRE(offer.media.size() == 3u);
  BOOST_TEST(offer.bundle == (std::vector<std::string>{"0", "1", "2"}));
  BOOST_TEST((offer.media[0].direction == sdp_direction::inactive));
  BOOST_TEST(offer.media[0].ssrcs.empty());
  BOOST_TEST(offer.media[2].msid == "s-2 s-2-cam");
  auto answer = parsed(lamp_answer(offer));
  BOOST_TEST((answer.media[0].direction == sdp_direction::inactive));
  done = settle(s, write_sdp(answer));
  BOOST_TEST(done.accepted == (std::vector<std::string>{"desk", "s-2-cam"}));
  // Audio comes back into the quiet section, not a fourth one.
  BOOST_TEST(ok(s.add(audio("mic-2", 0xA2))));
  BOOST_TEST(*s.mid_of("mic-2") == "0");
  BOOST_TEST(s.sections() == 3u);
}

BOOST_AUTO_TEST_CASE(one_offer_is_in_flight_and_changes_meanwhile_wait_for_the_next) {
  subscribe_session s(sfu(), 1);
  BOOST_TEST((s.offer().err().code == errc::wrong_state));  // nothing to offer
  BOOST_TEST((s.answer("v=0").err().code == errc::wrong_state));  // nothing offered
  BOOST_TEST(ok(s.add(video("cam", 0xB1))));
  auto first = next_offer(s);
  BOOST_TEST((s.offer().err().code == errc::wrong_state));
  BOOST_TEST(ok(s.add(audio("mic", 0xA1))));
  BOOST_TEST(s.pending());
  auto done = settle(s, lamp_answer(first));
  BOOST_TEST(done.accepted == (std::vector<std::string>{"cam"}));
  BOOST_TEST(s.pending());  // the mic is still to be offered
  auto second = next_offer(s);
  BOOST_TEST(second.media.size() == 2u);
  BOOST_TEST(settle(s, lamp_answer(second)).accepted.size() == 2u);
  BOOST_TEST(!s.pending());
}

BOOST_AUTO_TEST_CASE(a_track_removed_while_its_offer_is_in_flight_is_not_reported_received) {
  subscribe_session s(sfu(), 1);
  BOOST_TEST(ok(s.add(video("cam", 0xB1))));
  BOOST_TEST(ok(s.add(audio("mic", 0xA1))));
  auto offer = next_offer(s);
  BOOST_TEST(ok(s.remove("cam")));
  BOOST_TEST(ok(s.add(video("other", 0xB9))));  // takes the section over, unoffered yet
  auto done = settle(s, lamp_answer(offer));
  BOOST_TEST(done.accepted == (std::vector<std::string>{"mic"}));
  BOOST_TEST(done.refused.empty());
  BOOST_TEST(s.pending());
}

BOOST_AUTO_TEST_CASE(a_client_may_refuse_a_section) {
  subscribe_session s(sfu(), 1);
  BOOST_TEST(ok(s.add(video("cam", 0xB1))));
  BOOST_TEST(ok(s.add(audio("mic", 0xA1))));
  auto answer = parsed(lamp_answer(next_offer(s)));
  answer.media[0].direction = sdp_direction::inactive;
  auto done = settle(s, write_sdp(answer));
  BOOST_TEST(done.accepted == (std::vector<std::string>{"mic"}));
  BOOST_TEST(done.refused == (std::vector<std::string>{"cam"}));
}

BOOST_AUTO_TEST_CASE(answers_that_do_not_fit_the_offer_are_refused_and_change_nothing) {
  subscribe_session s(sfu(), 1);
  BOOST_TEST(ok(s.add(video("cam", 0xB1))));
  BOOST_TEST(ok(s.add(audio("mic", 0xA1))));
  settle(s, lamp_answer(next_offer(s)));
  BOOST_TEST(ok(s.add(video("desk", 0xB2))));

  using edit = std::function<void(session_description&)>;
  const std::vector<std::pair<std::string, edit>> broken = {
    {"a section fewer", [](session_description& a) { a.media.pop_back(); }},
    {"another mid", [](session_description& a) { a.media[1].mid = "9"; }},
    {"sections swapped", [](session_description& a) { std::swap(a.media[0], a.media[1]); }},
    {"sendrecv", [](session_description& a) { a.media[0].direction = sdp_direction::sendrecv; }},
    {"DTLS passive", [](session_description& a) { a.media[0].setup = "passive"; }},
    {"no fingerprint", [](session_description& a) { a.media[2].fingerprint.clear(); }},
    {"two transports", [](session_description& a) { a.media[2].ice_ufrag = "elsewhere"; }},
    {"an ICE restart", [](session_description& a) {
       for (auto& m : a.media)
         m.ice_ufrag = "restart1";
     }},
    {"nothing accepted", [](session_description& a) {
       for (auto& m : a.media)
         m.port = 0;
     }},
  };
  for (const auto& [what, change] : broken) {
    BOOST_TEST_CONTEXT(what) {
      auto answer = parsed(lamp_answer(next_offer(s)));
      change(answer);
      auto r = s.answer(write_sdp(answer));
      BOOST_REQUIRE(!r);
      BOOST_TEST((r.err().code == errc::bad_request));
      BOOST_TEST(to_string(s.state()) == std::string("stable"));
      BOOST_TEST(s.pending());  // offered again next time
    }
  }
  BOOST_TEST((s.answer("not sdp at all").err().code == errc::wrong_state));
  (void) s.offer();
  BOOST_TEST((s.answer("not sdp at all").err().code == errc::bad_request));
  // A good answer still settles it, with the transport of the first one.
  auto done = settle(s, lamp_answer(next_offer(s)));
  BOOST_TEST(done.accepted.size() == 3u);
  BOOST_TEST(done.client.ice_ufrag == "lampufrg");
}

BOOST_AUTO_TEST_CASE(tracks_are_watched_once_and_only_audio_or_video) {
  subscribe_session s(sfu(), 1);
  BOOST_TEST(ok(s.add(video("cam", 0xB1))));
  BOOST_TEST((s.add(video("cam", 0xB5)).code == errc::already_exists));
  BOOST_TEST((s.add({"dc", "application", "t-1", 0}).code == errc::bad_request));
  BOOST_TEST((s.remove("nope").code == errc::not_found));
  BOOST_TEST(s.watches("cam"));
  BOOST_TEST(ok(s.remove("cam")));
  BOOST_TEST(!s.watches("cam"));
  BOOST_TEST(!s.mid_of("cam").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
