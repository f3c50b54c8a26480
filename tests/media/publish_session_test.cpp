// The SFU's publish session as a client meets it: a lamp's offers (built
// with make_offer, sections added and stopped as a client's renegotiation
// does) answered and read section by section.
#include <boost/test/unit_test.hpp>

#include "media/publish_session.hpp"
#include "media/sdp_offer.hpp"

using namespace lamplight::media;
using lamplight::protocol::errc;

namespace {

session_endpoint sfu() {
  return {"sfuufrag", "sfupassword0123456789012", "sha-256 AA:BB", "127.0.0.1", 40000};
}

/// A lamp's offer section of `kind` sending `ssrc`, with mid `mid`.
sdp_media section(const std::string& kind, uint32_t ssrc, const std::string& mid,
                  const std::string& ufrag = "lampufrg") {
  offer_params p;
  p.kind = kind;
  p.ssrc = ssrc;
  p.ice_ufrag = ufrag;
  p.ice_pwd = "lamppassword012345678901";
  p.fingerprint = "sha-256 CC:DD";
  auto m = make_offer(p).media.front();
  m.mid = mid;
  return m;
}

std::string offer_of(std::vector<sdp_media> sections) {
  session_description s;
  for (const auto& m : sections)
    s.bundle.push_back(m.mid);
  s.media = std::move(sections);
  return write_sdp(s);
}

publish_session::negotiated must(lamplight::protocol::result<publish_session::negotiated> r) {
  if (!r)
    BOOST_FAIL(r.err().message);
  return std::move(*r);
}

std::vector<std::string> mids(const std::vector<publish_session::track>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts)
    out.push_back(t.mid);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(publish_session_tests)

BOOST_AUTO_TEST_CASE(the_first_offer_publishes_every_sending_section_on_one_transport) {
  publish_session s(sfu(), true);
  offer_params dc;
  dc.kind = "video";
  dc.ssrc = 0xB1;
  dc.ice_ufrag = "lampufrg";
  dc.ice_pwd = "lamppassword012345678901";
  dc.fingerprint = "sha-256 CC:DD";
  dc.data_channel = true;
  auto with_data = make_offer(dc);  // mids "0" (video) and "1" (data)
  with_data.media.push_back(section("audio", 0xA1, "2"));
  with_data.bundle.push_back("2");
  auto n = must(s.offer(write_sdp(with_data)));
  BOOST_TEST(n.first);
  BOOST_TEST(n.data_channels);
  BOOST_TEST(mids(n.added) == (std::vector<std::string>{"0", "2"}));
  BOOST_TEST(n.added[0].stream.kind == "video");
  BOOST_TEST(n.added[0].stream.ssrc == 0xB1u);
  BOOST_TEST(n.added[1].stream.codec == "opus");
  BOOST_TEST(n.client.ice_ufrag == "lampufrg");
  auto answer = parse_sdp(n.answer);
  BOOST_REQUIRE(bool(answer));
  BOOST_REQUIRE(answer->media.size() == 3u);
  BOOST_TEST(answer->ice_lite);
  for (const auto& m : answer->media) {
    BOOST_TEST(m.port != 0);
    BOOST_TEST(m.ice_ufrag == "sfuufrag");
  }
  BOOST_TEST((answer->media[0].direction == sdp_direction::recvonly));
  BOOST_TEST(s.tracks().size() == 2u);
}

BOOST_AUTO_TEST_CASE(tracks_come_and_go_by_renegotiating_the_same_connection) {
  publish_session s(sfu(), false);
  auto face = section("video", 0xB1, "0");
  auto mic = section("audio", 0xA1, "1");
  must(s.offer(offer_of({face, mic})));
  // The face camera stops, the desk camera starts on a new section.
  face.direction = sdp_direction::inactive;
  auto desk = section("video", 0xB2, "2");
  auto n = must(s.offer(offer_of({face, mic, desk})));
  BOOST_TEST(!n.first);
  BOOST_TEST(n.removed == (std::vector<std::string>{"0"}));
  BOOST_TEST(mids(n.added) == (std::vector<std::string>{"2"}));
  BOOST_TEST(n.changed.empty());
  BOOST_TEST(parse_sdp(n.answer)->media.size() == 3u);
  // The stopped section sends again, as another stream (the face camera
  // back on a recycled transceiver).
  face = section("video", 0xB9, "0");
  n = must(s.offer(offer_of({face, mic, desk})));
  BOOST_TEST(mids(n.added) == (std::vector<std::string>{"0"}));
  // Same sections, the mic's SSRC another: changed, not added.
  mic = section("audio", 0xA2, "1");
  n = must(s.offer(offer_of({face, mic, desk})));
  BOOST_TEST(mids(n.changed) == (std::vector<std::string>{"1"}));
  BOOST_TEST(n.added.empty());
  BOOST_TEST(n.removed.empty());
  // The same offer again changes nothing.
  n = must(s.offer(offer_of({face, mic, desk})));
  BOOST_TEST((n.added.empty() && n.changed.empty() && n.removed.empty()));
  BOOST_TEST(s.tracks().size() == 3u);
}

BOOST_AUTO_TEST_CASE(offers_that_break_the_session_are_refused_and_change_nothing) {
  publish_session s(sfu(), false);
  auto face = section("video", 0xB1, "0");
  auto mic = section("audio", 0xA1, "1");
  must(s.offer(offer_of({face, mic})));
  const std::vector<std::pair<std::string, std::string>> broken = {
    {"not SDP", "hello"},
    {"a section dropped", offer_of({face})},
    {"sections reordered", offer_of({mic, face})},
    {"an ICE restart", offer_of({section("video", 0xB1, "0", "restart1"),
                                 section("audio", 0xA1, "1", "restart1")})},
    {"two transports", offer_of({face, section("audio", 0xA1, "1", "othrufrg")})},
  };
  for (const auto& [what, sdp] : broken) {
    BOOST_TEST_CONTEXT(what) {
      auto r = s.offer(sdp);
      BOOST_REQUIRE(!r);
      BOOST_TEST((r.err().code == errc::bad_request));
      BOOST_TEST(s.tracks().size() == 2u);
    }
  }
  auto no_bundle = parse_sdp(offer_of({face, mic}));
  no_bundle->bundle.clear();
  BOOST_TEST(!s.offer(write_sdp(*no_bundle)));
  BOOST_TEST(s.tracks().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
