#include <boost/test/unit_test.hpp>

#include "media/sdp_answer.hpp"
#include "media/sdp_offer.hpp"

using namespace lamplight::media;

namespace {

offer_params lamp_offer(const std::string& kind, bool send) {
  offer_params p;
  p.kind = kind;
  p.send = send;
  p.ssrc = send ? 0x11223344 : 0;
  p.ice_ufrag = "lmpU";
  p.ice_pwd = "lamp-password-22-chars";
  p.fingerprint = "sha-256 AA:BB";
  return p;
}

answer_params sfu() {
  answer_params a;
  a.ice_ufrag = "sfuU";
  a.ice_pwd = "sfu-password";
  a.fingerprint = "sha-256 CC:DD";
  a.candidate_ip = "127.0.0.1";
  a.candidate_port = 40000;
  return a;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sdp_offer)

BOOST_AUTO_TEST_CASE(a_lamps_publish_offer_survives_text_and_gets_a_usable_answer) {
  auto text = write_sdp(make_offer(lamp_offer("video", true)));
  auto offer = parse_sdp(text);
  BOOST_REQUIRE(bool(offer));
  BOOST_TEST(offered_ssrcs(*offer) == std::vector<uint32_t>{0x11223344});
  auto answer = make_answer(*offer, sfu());
  BOOST_REQUIRE(bool(answer));
  BOOST_TEST(answer->media.at(0).port != 0);
  BOOST_TEST(answer->media.at(0).codecs.at(0).payload_type == vp8_payload_type);
  BOOST_TEST(to_string(answer->media.at(0).direction) == std::string("recvonly"));
  auto end = read_answer(write_sdp(*answer));
  BOOST_REQUIRE(bool(end));
  BOOST_TEST(end->ip == "127.0.0.1");
  BOOST_TEST(end->port == 40000);
  BOOST_TEST(end->ice_ufrag == "sfuU");
  BOOST_TEST(end->ice_pwd == "sfu-password");
  BOOST_TEST(end->fingerprint == "sha-256 CC:DD");
}

BOOST_AUTO_TEST_CASE(a_subscribe_offer_is_recvonly_opus_without_ssrc) {
  auto offer = parse_sdp(write_sdp(make_offer(lamp_offer("audio", false))));
  BOOST_REQUIRE(bool(offer));
  BOOST_TEST(offer->media.at(0).ssrcs.empty());
  BOOST_TEST(to_string(offer->media.at(0).direction) == std::string("recvonly"));
  auto answer = make_answer(*offer, sfu());
  BOOST_REQUIRE(bool(answer));
  BOOST_TEST(answer->media.at(0).codecs.at(0).name == "opus");
}

BOOST_AUTO_TEST_CASE(answers_without_what_a_lamp_needs_are_refused) {
  BOOST_TEST(!read_answer("v=0\r\n"));
  auto answer = make_answer(*parse_sdp(write_sdp(make_offer(lamp_offer("video", true)))), sfu());
  answer->media.at(0).candidates.clear();
  BOOST_TEST(!read_answer(write_sdp(*answer)));
  answer->media.at(0).port = 0;
  BOOST_TEST(!read_answer(write_sdp(*answer)));
}

// A subscriber offer the way Janus's VideoRoom writes one: IPv6
// candidates before the IPv4 one, VP8 on a payload type of its choosing,
// and a second (data) section the lamp did not ask for.
const char* const janus_offer =
  "v=0\r\no=- 1 1 IN IP4 10.213.0.2\r\ns=VideoRoom 1\r\nt=0 0\r\n"
  "a=group:BUNDLE v0 d1\r\na=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 B6:15:D2\r\na=msid-semantic: WMS *\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\nc=IN IP4 10.213.0.2\r\na=sendonly\r\na=mid:v0\r\n"
  "a=rtcp-mux\r\na=ice-ufrag:jnus\r\na=ice-pwd:janus-password-xyz\r\na=setup:actpass\r\n"
  "a=rtpmap:100 VP8/90000\r\na=rtcp-fb:100 nack\r\na=rtcp-fb:100 nack pli\r\n"
  "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
  "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
  "a=ssrc:11 cname:janus\r\n"
  "a=candidate:2 1 udp 2015363583 fd00::2 46276 typ host\r\n"
  "a=candidate:1 1 udp 2015363327 10.213.0.2 46371 typ host\r\na=end-of-candidates\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 10.213.0.2\r\na=mid:d1\r\n"
  "a=sctp-port:5000\r\na=ice-ufrag:jnus\r\na=ice-pwd:janus-password-xyz\r\na=setup:actpass\r\n";

BOOST_AUTO_TEST_CASE(a_lamp_answers_a_server_offer_with_its_payload_type_and_mid) {
  auto offer = parse_sdp(janus_offer);
  BOOST_REQUIRE(bool(offer));
  auto answer = make_answer_to(*offer, lamp_offer("video", false));
  BOOST_REQUIRE(bool(answer));
  BOOST_REQUIRE(answer->media.size() == 2u);  // one answer section per offered one
  const auto& v = answer->media[0];
  BOOST_TEST(v.mid == "v0");
  BOOST_TEST(v.port != 0);
  BOOST_TEST(to_string(v.direction) == std::string("recvonly"));
  BOOST_TEST(v.setup == "active");  // the lamp stays the DTLS client
  BOOST_REQUIRE(v.codecs.size() == 1u);
  BOOST_TEST(v.codecs[0].payload_type == 100);
  BOOST_TEST(v.codecs[0].name == "VP8");
  BOOST_TEST(answer->media[1].port == 0);  // data was not asked for
  BOOST_TEST(answer->bundle == std::vector<std::string>{"v0"});
  // Written and read back, it still says the same.
  auto again = parse_sdp(write_sdp(*answer));
  BOOST_REQUIRE(bool(again));
  BOOST_TEST(again->media[0].ice_ufrag == lamp_offer("video", false).ice_ufrag);
  // Where to send: the IPv4 candidate, not the IPv6 one listed first.
  auto end = read_answer(janus_offer);
  BOOST_REQUIRE(bool(end));
  BOOST_TEST(end->ip == "10.213.0.2");
  BOOST_TEST(end->port == 46371);
}

BOOST_AUTO_TEST_CASE(a_server_offer_without_the_wanted_kind_is_refused) {
  auto offer = parse_sdp(janus_offer);
  BOOST_REQUIRE(bool(offer));
  BOOST_TEST(!make_answer_to(*offer, lamp_offer("audio", false)));
  offer->media[0].direction = lamplight::media::sdp_direction::recvonly;
  BOOST_TEST(!make_answer_to(*offer, lamp_offer("video", false)));
}

BOOST_AUTO_TEST_SUITE_END()
