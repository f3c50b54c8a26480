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

BOOST_AUTO_TEST_SUITE_END()
