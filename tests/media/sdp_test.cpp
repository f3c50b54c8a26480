// SDP against a real offer from Debian's Chromium 156 (audio, a simulcast
// camera with rids l/m/h, a second camera with RTX, a data channel), taken
// with tests/media/data/make-chromium-offer.html.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "media/sdp.hpp"

using namespace lamplight::media;

namespace {

std::string chromium_offer() {
  std::ifstream in(LAMPLIGHT_MEDIA_TEST_DATA "/chromium-156-offer.sdp");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(sdp)

BOOST_AUTO_TEST_CASE(parses_a_real_chromium_offer) {
  auto text = chromium_offer();
  BOOST_REQUIRE(!text.empty());
  auto sdp = parse_sdp(text);
  BOOST_REQUIRE_MESSAGE(bool(sdp), (sdp ? "" : sdp.err().message));
  BOOST_TEST(sdp->bundle == (std::vector<std::string>{"0", "1", "2", "3"}),
             boost::test_tools::per_element());
  BOOST_TEST(sdp->extmap_allow_mixed);
  BOOST_REQUIRE(sdp->media.size() == 4u);
  const auto& audio = sdp->media[0];
  BOOST_TEST(audio.kind == "audio");
  BOOST_TEST(audio.mid == "0");
  BOOST_TEST((audio.direction == sdp_direction::sendonly));
  BOOST_TEST(audio.rtcp_mux);
  BOOST_TEST(audio.setup == "actpass");
  BOOST_TEST(audio.fingerprint.rfind("sha-256 ", 0) == 0u);
  BOOST_TEST(audio.ice_ufrag.size() == 4u);
  BOOST_TEST(audio.ice_pwd.size() >= 22u);
  auto* opus = audio.codec("opus");
  BOOST_REQUIRE(opus);
  BOOST_TEST(opus->payload_type == 111);
  BOOST_TEST(opus->clock_rate == 48000u);
  BOOST_TEST(opus->channels == 2);
  BOOST_TEST(opus->fmtp.find("useinbandfec=1") != std::string::npos);
  BOOST_TEST(audio.extmap_id("urn:ietf:params:rtp-hdrext:sdes:mid") != 0);
  BOOST_TEST(audio.ssrcs.size() >= 1u);

  const auto& cam = sdp->media[1];
  BOOST_TEST(cam.kind == "video");
  auto* vp8 = cam.codec("VP8");
  BOOST_REQUIRE(vp8);
  BOOST_TEST(vp8->clock_rate == 90000u);
  auto has_fb = [&](const std::string& fb) {
    for (auto& x : vp8->rtcp_fb)
      if (x == fb)
        return true;
    return false;
  };
  BOOST_TEST(has_fb("nack"));
  BOOST_TEST(has_fb("nack pli"));
  BOOST_TEST(has_fb("goog-remb"));
  BOOST_TEST(has_fb("ccm fir"));
  // VP8's retransmission codec points at it.
  bool rtx_for_vp8 = false;
  for (auto& c : cam.codecs)
    rtx_for_vp8 = rtx_for_vp8
                  || (c.name == "rtx" && c.fmtp == "apt=" + std::to_string(vp8->payload_type));
  BOOST_TEST(rtx_for_vp8);
  BOOST_REQUIRE(cam.rids.size() == 3u);
  BOOST_TEST(cam.rids[0].id == "l");
  BOOST_TEST(cam.rids[2].direction == "send");
  BOOST_TEST(cam.simulcast == "send l;m;h");
  BOOST_TEST(cam.extmap_id("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") != 0);

  const auto& desk = sdp->media[2];
  BOOST_REQUIRE(desk.ssrc_groups.size() == 1u);
  BOOST_TEST(desk.ssrc_groups[0].semantics == "FID");
  BOOST_TEST(desk.ssrc_groups[0].ssrcs.size() == 2u);
  BOOST_TEST(!desk.msid.empty());

  const auto& data = sdp->media[3];
  BOOST_TEST(data.kind == "application");
  BOOST_TEST(data.protocol == "UDP/DTLS/SCTP");
  BOOST_TEST(data.sctp_port == 5000);
  BOOST_TEST(sdp->find_mid("3") == &data);
}

BOOST_AUTO_TEST_CASE(write_then_parse_is_stable) {
  auto first = parse_sdp(chromium_offer());
  BOOST_REQUIRE(bool(first));
  auto text = write_sdp(*first);
  auto second = parse_sdp(text);
  BOOST_REQUIRE_MESSAGE(bool(second), (second ? "" : second.err().message));
  BOOST_TEST(write_sdp(*second) == text);
  BOOST_TEST(second->media[1].codecs.size() == first->media[1].codecs.size());
  BOOST_TEST(second->media[1].other.size() == first->media[1].other.size());
}

BOOST_AUTO_TEST_CASE(a_minimal_answer_as_chrome_accepts_it) {
  session_description answer;
  answer.ice_lite = true;
  answer.bundle = {"0"};
  sdp_media v;
  v.kind = "video";
  v.protocol = "UDP/TLS/RTP/SAVPF";
  v.formats = {"96"};
  v.mid = "0";
  v.ice_ufrag = "abcd";
  v.ice_pwd = "0123456789012345678901";
  v.fingerprint = "sha-256 AB:CD";
  v.setup = "passive";
  v.direction = sdp_direction::recvonly;
  v.rtcp_mux = true;
  v.codecs.push_back({96, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir", "goog-remb"}});
  v.extmaps.push_back({4, "urn:ietf:params:rtp-hdrext:sdes:mid"});
  v.candidates.push_back("1 1 udp 2130706431 127.0.0.1 40000 typ host");
  v.end_of_candidates = true;
  answer.media.push_back(v);
  auto text = write_sdp(answer);
  BOOST_TEST(text.find("a=ice-lite\r\n") != std::string::npos);
  BOOST_TEST(text.find("a=rtpmap:96 VP8/90000\r\n") != std::string::npos);
  BOOST_TEST(text.find("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n")
             != std::string::npos);
  auto back = parse_sdp(text);
  BOOST_REQUIRE(bool(back));
  BOOST_TEST(back->ice_lite);
  BOOST_TEST((back->media[0].direction == sdp_direction::recvonly));
  BOOST_TEST(back->media[0].codec(96)->rtcp_fb.size() == 4u);
}

BOOST_AUTO_TEST_CASE(malformed_sdp_is_refused_with_the_line) {
  for (std::string bad : {"", "x=0\r\n", "v=1\r\n", "v=0\r\nm=video\r\n",
                          "v=0\r\nm=video 99999 UDP/TLS/RTP/SAVPF 96\r\n",
                          "v=0\r\nm=video 9 P 96\r\na=rtpmap:300 VP8/90000\r\n",
                          "v=0\r\nm=video 9 P 96\r\na=rtpmap:96 VP8/fast\r\n",
                          "v=0\r\nm=video 9 P 96\r\na=ssrc:12x cname:a\r\n",
                          "v=0\r\nm=video 9 P 96\r\na=extmap:0 urn:x\r\n",
                          "v=0\r\nm=video 9 P 96\r\na=rid:l sideways\r\n",
                          "v=0\r\nno equals sign\r\n"}) {
    auto r = parse_sdp(bad);
    BOOST_TEST(!bool(r), bad);
  }
  auto r = parse_sdp("v=0\r\nm=video 9 P 96\r\na=rtpmap:300 VP8/90000\r\n");
  BOOST_REQUIRE(!bool(r));
  BOOST_TEST(r.err().message.find("line 3") != std::string::npos, r.err().message);
  BOOST_TEST(!bool(parse_sdp(std::string(max_sdp_bytes + 1, 'a'))));
}

BOOST_AUTO_TEST_SUITE_END()

#include "media/sdp_answer.hpp"

BOOST_AUTO_TEST_SUITE(sdp_answer)

BOOST_AUTO_TEST_CASE(answers_a_chromium_publish_offer) {
  auto offer = parse_sdp(chromium_offer());
  BOOST_REQUIRE(bool(offer));
  answer_params p;
  p.ice_ufrag = "srv1";
  p.ice_pwd = "0123456789abcdefghijkl";
  p.fingerprint = "sha-256 AA:BB";
  p.candidate_port = 40000;
  auto answer = make_answer(*offer, p);
  BOOST_REQUIRE_MESSAGE(bool(answer), (answer ? "" : answer.err().message));
  BOOST_TEST(answer->ice_lite);
  BOOST_TEST(answer->bundle == (std::vector<std::string>{"0", "1", "2", "3"}),
             boost::test_tools::per_element());
  BOOST_REQUIRE(answer->media.size() == 4u);
  const auto& audio = answer->media[0];
  BOOST_TEST((audio.direction == sdp_direction::recvonly));
  BOOST_TEST(audio.codecs.size() == 1u);
  BOOST_TEST(audio.codecs[0].name == "opus");
  BOOST_TEST(audio.setup == "passive");
  const auto& cam = answer->media[1];
  BOOST_TEST(cam.codecs[0].name == "VP8");
  BOOST_TEST(cam.simulcast == "recv l;m;h");
  BOOST_TEST(cam.rids.size() == 3u);
  BOOST_TEST(cam.extmap_id("urn:ietf:params:rtp-hdrext:sdes:mid") != 0);
  BOOST_TEST(cam.candidates[0] == "1 1 udp 2130706431 127.0.0.1 40000 typ host");
  const auto& data = answer->media[3];  // RFC 8841
  BOOST_TEST(data.port == 9);
  BOOST_TEST(data.protocol == "UDP/DTLS/SCTP");
  BOOST_TEST(data.formats == std::vector<std::string>{"webrtc-datachannel"});
  BOOST_TEST(data.sctp_port == 5000);
  BOOST_TEST(data.max_message_size == data_channel_max_message);
  BOOST_TEST(data.setup == "passive");
  BOOST_TEST(offers_data_channels(*offer));
  p.data_channels = false;
  BOOST_TEST(make_answer(*offer, p)->media[3].port == 0);  // refused when not served
  // The publisher's SSRCs: none for the simulcast camera (rids instead).
  auto ssrcs = offered_ssrcs(*offer);
  BOOST_TEST(ssrcs[0] != 0u);
  BOOST_TEST(ssrcs[1] == 0u);
  BOOST_TEST(ssrcs[2] == offer->media[2].ssrc_groups[0].ssrcs[0]);
  // And what we write parses again.
  BOOST_TEST(bool(parse_sdp(write_sdp(*answer))));
}

// A stopped sender's section stays in the client's BUNDLE as inactive:
// answered inactive and bundled, never rejected (rejecting the section
// that tags the group makes Chromium refuse the whole answer).
BOOST_AUTO_TEST_CASE(an_inactive_section_is_answered_inactive_and_stays_bundled) {
  auto offer = parse_sdp(chromium_offer());
  BOOST_REQUIRE(bool(offer));
  offer->media[0].direction = sdp_direction::inactive;
  answer_params p;
  p.ice_ufrag = "srv1";
  p.ice_pwd = "0123456789abcdefghijkl";
  p.fingerprint = "sha-256 AA:BB";
  auto answer = make_answer(*offer, p);
  BOOST_REQUIRE(bool(answer));
  BOOST_TEST(answer->media[0].port != 0);
  BOOST_TEST((answer->media[0].direction == sdp_direction::inactive));
  BOOST_TEST(answer->bundle.front() == offer->media[0].mid);
  BOOST_TEST(!first_offered_stream(*offer)->rids.empty());  // the camera, not the stopped mic
}

BOOST_AUTO_TEST_CASE(refuses_offers_webrtc_never_makes) {
  session_description bare;
  answer_params p;
  BOOST_TEST(!bool(make_answer(bare, p)));
}

BOOST_AUTO_TEST_SUITE_END()
