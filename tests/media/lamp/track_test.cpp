// The lamp's media path without a network: real VP8 and Opus encoders
// (clips), the sender's packetizer, pacing, history and key frame answers,
// the receiver's reassembly, NACK and PLI, real decoders and the frame
// stamps, with time and loss decided by the test.
#include <boost/test/unit_test.hpp>

#include <functional>

#include "media/lamp/frame_stamp.hpp"
#include "media/lamp/track_receiver.hpp"
#include "media/lamp/track_sender.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"

using namespace lamplight::media;
using namespace lamplight::media::lamp;

namespace {

std::shared_ptr<const media_clip> video(camera c, int frames = 60) {
  video_clip_params p;
  p.frames = frames;
  p.source = c;
  auto clip = make_video_clip(p);
  if (!clip)
    BOOST_FAIL(clip.err().message);
  return *clip;
}

/// Runs sender -> receiver for `ms` of simulated time in 5 ms steps;
/// `keep(n)` decides whether the n-th packet on the wire (retransmissions
/// included) arrives. Feedback goes back every 20 ms, never lost.
void run(track_sender& tx, track_receiver& rx, int64_t ms,
         const std::function<bool(uint64_t)>& keep) {
  uint64_t n = 0;
  std::vector<std::vector<uint8_t>> out;
  auto deliver = [&](int64_t now) {
    for (auto& p : out) {
      if (!keep(n++))
        continue;
      auto view = rtp_packet::parse(p.data(), p.size());
      BOOST_REQUIRE(view.has_value());
      rx.on_rtp(*view, now);
    }
    out.clear();
  };
  for (int64_t now = 0; now <= ms; now += 5) {
    tx.due(now, out);
    deliver(now);
    if (now % 20 == 0) {
      auto fb = rx.feedback(now);
      if (fb.empty())
        continue;
      auto msgs = parse_rtcp(fb.data(), fb.size());
      BOOST_REQUIRE(msgs.has_value());
      tx.on_rtcp(*msgs, out);
      deliver(now);
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(lamp_media)

BOOST_AUTO_TEST_CASE(stamps_round_trip_and_misreads_are_caught) {
  std::vector<uint8_t> luma(320 * 240, 90);
  frame_stamp s{0xBEEF, 150, 2};
  draw_stamp(luma.data(), 320, s);
  auto r = read_stamp(luma.data(), 320, 320, 240);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST((*r == s));
  luma[40 * 320 + 40] = 0;  // one pixel does not flip a 32x32 block
  BOOST_TEST(read_stamp(luma.data(), 320, 320, 240).has_value());
  for (int y = 0; y < 32; ++y)  // a whole block of the number does
    for (int x = 0; x < 32; ++x)
      luma[static_cast<std::size_t>(y * 320 + x)] ^= 0xFF;
  BOOST_TEST(!read_stamp(luma.data(), 320, 320, 240).has_value());
  BOOST_TEST(!read_stamp(luma.data(), 320, 100, 100).has_value());
}

BOOST_AUTO_TEST_CASE(every_frame_is_decoded_in_order_on_a_clean_path) {
  auto clip = video(camera::desk);
  track_sender tx(clip, 0x1234, 96);
  track_receiver rx(clip_kind::video);
  run(tx, rx, 3000, [](uint64_t) { return true; });
  auto st = rx.stats();
  BOOST_TEST(tx.stats().frames == 91u);  // 0, 33, ... 2970 ms
  BOOST_TEST(st.frames_decoded == tx.stats().frames);
  BOOST_TEST(st.unreadable == 0u);
  BOOST_TEST(st.stamp_gaps == 0u);  // across the clip's wrap at 60 too
  BOOST_TEST(*st.first_stamp == 0);
  BOOST_TEST(*st.last_stamp == 90 % 60);
  BOOST_TEST(st.source == static_cast<uint8_t>(camera::desk));
  BOOST_TEST(st.nacks_sent == 0u);
  // Its SR: RTP time 20 ms past the last frame (2970 ms), what was sent.
  auto sr_bytes = tx.sender_report(2990);
  auto sr = parse_rtcp(sr_bytes.data(), sr_bytes.size());
  BOOST_REQUIRE(sr.has_value());
  auto& report = std::get<sender_report>(sr->at(0));
  BOOST_TEST(report.ssrc == 0x1234u);
  BOOST_TEST(report.packet_count == tx.stats().packets);
  auto first_ts = track_sender(clip, 1, 96).sender_report(0);
  BOOST_TEST(first_ts.empty());  // nothing sent, nothing to report
}

BOOST_AUTO_TEST_CASE(nack_recovers_every_frame_when_one_packet_in_twenty_is_lost) {
  auto clip = video(camera::face);
  track_sender tx(clip, 0x1234, 96);
  track_receiver rx(clip_kind::video);
  run(tx, rx, 3000, [](uint64_t n) { return n % 20 != 7; });
  auto st = rx.stats();
  BOOST_TEST(st.nacks_sent > 0u);
  BOOST_TEST(tx.stats().retransmitted > 0u);
  BOOST_TEST(st.frames_abandoned == 0u);
  BOOST_TEST(st.stamp_gaps == 0u);
  BOOST_TEST(st.unreadable == 0u);
  // All but the frames still waiting for a retransmission at the end.
  BOOST_TEST(st.frames_decoded + 2 >= tx.stats().frames);
}

BOOST_AUTO_TEST_CASE(a_receiver_that_joins_late_asks_for_a_key_frame_and_reads_through_the_drift) {
  // The clip's only key frame is its first; the receiver misses it and
  // everything else for the first 500 ms, so it must ask (PLI) and decode
  // what follows the sender's key-frame answer.
  auto clip = video(camera::face, 150);
  track_sender tx(clip, 0x1234, 96);
  track_receiver rx(clip_kind::video);
  run(tx, rx, 4000, [](uint64_t n) { return n >= 40; });
  auto st = rx.stats();
  BOOST_TEST(st.plis_sent >= 1u);
  BOOST_TEST(tx.stats().keyframes_requested >= 1u);
  BOOST_TEST(st.frames_decoded > 60u);
  BOOST_TEST(st.unreadable == 0u);
  BOOST_TEST(st.stamp_gaps == 0u);
  BOOST_TEST(*st.first_stamp > 0);
}

BOOST_AUTO_TEST_CASE(opus_frames_decode_and_losses_are_counted) {
  auto clip = make_audio_clip(50);
  BOOST_REQUIRE(bool(clip));
  track_sender tx(*clip, 0x5678, 111);
  track_receiver rx(clip_kind::audio);
  run(tx, rx, 1000, [](uint64_t n) { return n != 10 && n != 11; });
  auto st = rx.stats();
  BOOST_TEST(tx.stats().frames == 51u);
  BOOST_TEST(st.frames_decoded == 49u);
  BOOST_TEST(st.audio_lost == 2u);
  BOOST_TEST(st.decode_errors == 0u);
}

BOOST_AUTO_TEST_CASE(clip_parameters_out_of_range_are_refused) {
  video_clip_params p;
  p.frames = 300;
  BOOST_TEST(!make_video_clip(p));
  p.frames = 10;
  p.width = 100;
  BOOST_TEST(!make_video_clip(p));
  BOOST_TEST(!make_audio_clip(0));
}

BOOST_AUTO_TEST_SUITE_END()
