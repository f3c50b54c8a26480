// The forwarding table on its own: packets in, what the worker would send
// out, time given by the test.
#include <boost/test/unit_test.hpp>

#include <set>

#include "media/forwarder.hpp"
#include "media/rtcp_packet.hpp"
#include "tests/media/rtp_builder.hpp"

using namespace lamplight::media;
using lamplight::media::test::build_rtp;
using lamplight::media::test::rtp_spec;

namespace {

constexpr forwarder::peer_id pub = 1, sub = 2, sub2 = 3;
constexpr uint8_t rid_ext = 10;
constexpr uint32_t low_ssrc = 0xAAAA0001, high_ssrc = 0xBBBB0002;

struct recording_sink : forwarder::sink {
  struct packet {
    forwarder::peer_id to;
    std::vector<uint8_t> data;
  };
  std::vector<packet> rtp, rtcp;
  std::set<forwarder::peer_id> offline;
  bool can_send(forwarder::peer_id to) override { return !offline.count(to); }
  bool send_rtp(forwarder::peer_id to, std::vector<uint8_t> p) override {
    rtp.push_back({to, std::move(p)});
    return true;
  }
  bool send_rtcp(forwarder::peer_id to, std::vector<uint8_t> p) override {
    rtcp.push_back({to, std::move(p)});
    return true;
  }
  /// SSRCs named by the PLIs sent to the publisher, and forget them.
  std::vector<uint32_t> take_plis() {
    std::vector<uint32_t> out;
    for (auto& r : rtcp)
      if (auto msgs = parse_rtcp(r.data.data(), r.data.size()))
        for (auto& m : *msgs)
          if (auto* x = std::get_if<pli>(&m))
            out.push_back(x->media_ssrc);
    rtcp.clear();
    return out;
  }
};

struct fixture {
  recording_sink out;
  forwarder fwd{out, 1'000'000};
  int64_t now = 1'000;
  uint16_t seq[2] = {100, 5000};
  uint32_t ts[2] = {0, 1'000'000};
  uint16_t pid[2] = {10, 2000};

  /// A simulcast track by rid, as Chrome offers it: q (low) and h (high).
  forwarder::track_id simulcast_track() {
    fwd.add_track(7, {pub, 90000, true, {{0, "q"}, {0, "h"}}, rid_ext, 0, {}});
    return 7;
  }
  /// One frame (one packet) of `layer`, 33 ms after the last.
  void frame(int layer, bool key, bool with_rid = true) {
    auto l = static_cast<std::size_t>(layer);
    rtp_spec s;
    s.seq = seq[l]++;
    s.ts = ts[l] += 3000;
    s.ssrc = layer == 0 ? low_ssrc : high_ssrc;
    s.vp8 = true;
    s.keyframe = key;
    s.picture_id = pid[l]++;
    s.marker = true;
    s.fill = static_cast<uint8_t>(layer + 1);
    if (with_rid) {
      s.rid_id = rid_ext;
      s.rid = layer == 0 ? "q" : "h";
    }
    fwd.on_rtp(pub, build_rtp(s), now);
  }
  /// What reached `to` since the last call: (layer by payload, seq, ts).
  std::vector<std::tuple<int, uint16_t, uint32_t, uint32_t>> received(forwarder::peer_id to) {
    std::vector<std::tuple<int, uint16_t, uint32_t, uint32_t>> r;
    for (auto& p : out.rtp) {
      if (p.to != to)
        continue;
      auto v = rtp_packet::parse(p.data.data(), p.data.size());
      r.emplace_back(v->payload()[v->payload_size() - 1] - 1, v->sequence(), v->timestamp(),
                     v->ssrc());
    }
    out.rtp.erase(std::remove_if(out.rtp.begin(), out.rtp.end(),
                                 [&](auto& p) { return p.to == to; }),
                  out.rtp.end());
    return r;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(forwarder_tests, fixture)

BOOST_AUTO_TEST_CASE(a_key_frame_asked_for_within_the_pli_interval_is_asked_for_later) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 0);
  frame(0, false);  // the first subscriber asks
  BOOST_TEST(out.take_plis() == std::vector<uint32_t>{low_ssrc}, boost::test_tools::per_element());
  // A second one comes 100 ms later: too early for another PLI...
  now += 100;
  fwd.add_route(t, sub2, 0x6000, 0);
  frame(0, false);
  fwd.tick(now, 0);
  BOOST_TEST(out.take_plis().empty());
  // ...which goes out once the interval has passed, and only once.
  now += 450;
  fwd.tick(now, 0);
  BOOST_TEST(out.take_plis() == std::vector<uint32_t>{low_ssrc}, boost::test_tools::per_element());
  now += 10;
  fwd.tick(now, 0);
  BOOST_TEST(out.take_plis().empty());
  // The key frame starts both subscribers.
  frame(0, true);
  BOOST_TEST(received(sub).size() == 1u);
  BOOST_TEST(received(sub2).size() == 1u);
}

BOOST_AUTO_TEST_CASE(simulcast_layers_are_learnt_by_rid_and_switched_at_key_frames) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 1);  // wants high
  // Only the low layer arrives yet: the route takes it, from a key frame.
  frame(0, false);
  BOOST_TEST(received(sub).empty());
  BOOST_TEST(out.take_plis() == std::vector<uint32_t>{low_ssrc}, boost::test_tools::per_element());
  now += 33;
  frame(0, true);
  now += 33;
  frame(0, false);
  auto got = received(sub);
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(std::get<0>(got[0]) == 0);
  BOOST_TEST(std::get<3>(got[0]) == 0x5000u);
  BOOST_TEST(fwd.current_layer(t, sub) == 0);
  // The high layer starts: the route asks for its key frame and keeps the
  // low layer until it comes.
  now += 33;
  frame(1, false);
  BOOST_TEST(out.take_plis() == std::vector<uint32_t>{high_ssrc}, boost::test_tools::per_element());
  frame(0, false);
  BOOST_TEST(received(sub).size() == 1u);
  now += 33;
  frame(1, true);
  frame(0, false);
  auto after = received(sub);
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(std::get<0>(after[0]) == 1);
  BOOST_TEST(fwd.current_layer(t, sub) == 1);
  BOOST_TEST(fwd.stats().layer_switches == 1u);
  // One continuous outgoing stream: sequence numbers without a gap.
  auto last_low = std::get<1>(got[1]);
  BOOST_TEST(std::get<1>(after[0]) == static_cast<uint16_t>(last_low + 2));
  // Asked down: back to low at its next key frame (asked for once the
  // last request for it is 500 ms old).
  fwd.set_layer(t, sub, 0);
  now += 500;
  frame(0, false);
  frame(1, false);
  BOOST_TEST(out.take_plis() == std::vector<uint32_t>{low_ssrc}, boost::test_tools::per_element());
  BOOST_TEST(std::get<0>(received(sub).at(0)) == 1);
  now += 33;
  frame(0, true);
  frame(1, false);
  auto down = received(sub);
  BOOST_REQUIRE(down.size() == 1u);
  BOOST_TEST(std::get<0>(down[0]) == 0);
  BOOST_TEST(fwd.stats().layer_switches == 2u);
}

BOOST_AUTO_TEST_CASE(once_learnt_a_layer_needs_no_rid_and_strangers_are_dropped) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 0);
  frame(0, true);
  BOOST_TEST(received(sub).size() == 1u);
  // Chrome stops sending the rid once our RRs acknowledge the SSRC.
  now += 33;
  frame(0, false, false);
  BOOST_TEST(received(sub).size() == 1u);
  // An SSRC no layer waits for, with or without a rid we do not know.
  fwd.on_rtp(pub, build_rtp({1, 2, 0xDEAD, 96}), now);
  fwd.on_rtp(pub, build_rtp({1, 2, 0xBEEF, 96, false, false, true, false, 0, 0, rid_ext, "x"}), now);
  fwd.on_rtp(sub, build_rtp({1, 2, low_ssrc, 96}), now);  // not its publisher's
  BOOST_TEST(fwd.stats().unknown_ssrc == 3u);
  BOOST_TEST(received(sub).empty());
}

BOOST_AUTO_TEST_CASE(a_layer_that_stops_is_left_for_one_that_arrives) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 1);
  frame(1, true);
  frame(0, true);
  BOOST_TEST(fwd.current_layer(t, sub) == 1);
  // Chrome pauses the high layer (bandwidth): after a second without it,
  // the route moves down at the low layer's key frame.
  for (int i = 0; i < 40; ++i) {
    now += 33;
    frame(0, i == 39);
  }
  BOOST_TEST(fwd.current_layer(t, sub) == 0);
  BOOST_TEST(!received(sub).empty());
}

BOOST_AUTO_TEST_CASE(video_routes_start_at_a_key_frame_and_audio_at_once) {
  fwd.add_track(1, {pub, 90000, true, {{low_ssrc, ""}}, 0, 0, {}});
  fwd.add_track(2, {pub, 48000, false, {{0, ""}}, 0, 0, {}});  // SSRC not in the SDP
  fwd.add_route(1, sub, 0x5001);
  fwd.add_route(2, sub, 0x5002);
  frame(0, false, false);
  BOOST_TEST(received(sub).empty());
  frame(0, true, false);
  BOOST_TEST(received(sub).size() == 1u);
  fwd.on_rtp(pub, build_rtp({7, 960, 0x0A0D10, 111}), now);
  auto a = received(sub);
  BOOST_REQUIRE(a.size() == 1u);
  BOOST_TEST(std::get<3>(a[0]) == 0x5002u);
  // A subscriber without a path yet gets nothing, and starts at the next
  // key frame once it has one.
  fwd.add_route(1, sub2, 0x6001);
  out.offline.insert(sub2);
  frame(0, true, false);
  BOOST_TEST(received(sub2).empty());
  out.offline.clear();
  frame(0, false, false);
  BOOST_TEST(received(sub2).empty());
  frame(0, true, false);
  BOOST_TEST(received(sub2).size() == 1u);
}

BOOST_AUTO_TEST_CASE(nacks_are_answered_from_the_layer_a_packet_came_from) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 0);
  frame(0, true);
  frame(0, false);
  auto low = received(sub);
  fwd.set_layer(t, sub, 1);
  frame(1, true);
  BOOST_TEST(fwd.current_layer(t, sub) == 1);
  auto high = received(sub);
  BOOST_REQUIRE(low.size() == 2u);
  BOOST_REQUIRE(high.size() == 1u);
  // The subscriber lost the low layer's second packet and the high key frame.
  std::vector<uint8_t> n;
  write_rtcp(n, nack{0x1234, 0x5000, {std::get<1>(low[1]), std::get<1>(high[0])}});
  fwd.on_rtcp(sub, n.data(), n.size(), now);
  auto again = received(sub);
  BOOST_REQUIRE(again.size() == 2u);
  BOOST_TEST((again[0] == low[1]));
  BOOST_TEST((again[1] == high[0]));
  BOOST_TEST(fwd.stats().retransmitted == 2u);
  // What never reached us is asked from the publisher, on its layer.
  seq[1] += 1;  // one high packet lost on the way in
  frame(1, false);
  out.rtcp.clear();
  auto gap = static_cast<uint16_t>(std::get<1>(high[0]) + 1);
  received(sub);
  std::vector<uint8_t> n2;
  write_rtcp(n2, nack{0x1234, 0x5000, {gap}});
  auto upstream_nack = [&]() -> std::optional<nack> {
    std::optional<nack> up;
    for (auto& r : out.rtcp)
      if (auto msgs = parse_rtcp(r.data.data(), r.data.size()))
        for (auto& m : *msgs)
          if (auto* x = std::get_if<nack>(&m))
            up = *x;
    out.rtcp.clear();
    return up;
  };
  // The forwarder asked for the gap itself as it saw it: the subscriber's
  // NACK right after is not passed on again...
  fwd.on_rtcp(sub, n2.data(), n2.size(), now);
  BOOST_TEST(!upstream_nack().has_value());
  // ...but once that ask had time to be answered, it is.
  now += 200;
  fwd.on_rtcp(sub, n2.data(), n2.size(), now);
  auto up = upstream_nack();
  BOOST_REQUIRE(up.has_value());
  BOOST_TEST(up->media_ssrc == high_ssrc);
  BOOST_TEST(up->lost == std::vector<uint16_t>{static_cast<uint16_t>(seq[1] - 2)},
             boost::test_tools::per_element());
  // Many subscribers NACKing the same loss: asked upstream once.
  fwd.on_rtcp(sub, n2.data(), n2.size(), now + 1);
  BOOST_TEST(!upstream_nack().has_value());
}

BOOST_AUTO_TEST_CASE(reports_go_up_with_remb_and_down_in_the_subscribers_timeline) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 1);
  frame(1, true);
  auto first = received(sub);
  BOOST_REQUIRE(first.size() == 1u);
  std::vector<uint8_t> sr;
  write_rtcp(sr, sender_report{high_ssrc, 0xE000000100000000ull, ts[1], 1, 40, {}});
  fwd.on_rtcp(pub, sr.data(), sr.size(), now);
  now += 1500;
  fwd.tick(now, 0xE000000200000000ull);
  std::optional<receiver_report> rr;
  std::optional<remb> estimate;
  std::optional<sender_report> down;
  for (auto& r : out.rtcp)
    if (auto msgs = parse_rtcp(r.data.data(), r.data.size()))
      for (auto& m : *msgs) {
        if (auto* x = std::get_if<receiver_report>(&m); x && r.to == pub)
          rr = *x;
        if (auto* x = std::get_if<remb>(&m); x && r.to == pub)
          estimate = *x;
        if (auto* x = std::get_if<sender_report>(&m); x && r.to == sub)
          down = *x;
      }
  BOOST_REQUIRE(rr.has_value());
  BOOST_REQUIRE(rr->reports.size() == 1u);
  BOOST_TEST(rr->reports[0].ssrc == high_ssrc);
  BOOST_REQUIRE(estimate.has_value());
  BOOST_TEST(estimate->bitrate_bps > 990'000u);
  BOOST_REQUIRE(down.has_value());
  BOOST_TEST(down->ssrc == 0x5000u);
  BOOST_TEST(down->ntp_time == 0xE000000200000000ull);
  // The publisher's RTP time 1.5 s later, in the subscriber's timeline
  // (this route kept the first layer's timestamps).
  BOOST_TEST(down->rtp_time == ts[1] + 135000u);
  BOOST_TEST(down->packet_count == 1u);
  // At most once a second.
  out.rtcp.clear();
  fwd.tick(now + 500, 0);
  BOOST_TEST(out.rtcp.empty());
}

BOOST_AUTO_TEST_CASE(a_departed_peer_takes_its_tracks_and_routes_with_it) {
  auto t = simulcast_track();
  fwd.add_route(t, sub, 0x5000, 0);
  fwd.add_route(t, sub2, 0x6000, 0);
  frame(0, true);
  BOOST_TEST(received(sub).size() == 1u);
  BOOST_TEST(received(sub2).size() == 1u);
  fwd.remove_peer(sub);
  now += 33;
  frame(0, false);
  BOOST_TEST(received(sub).empty());
  BOOST_TEST(received(sub2).size() == 1u);
  fwd.remove_peer(pub);
  frame(0, false);
  BOOST_TEST(received(sub2).empty());
  BOOST_TEST(fwd.current_layer(t, sub2) == -1);
}


BOOST_AUTO_TEST_CASE(a_microphone_is_judged_speaking_from_its_audio_levels) {
  std::vector<std::pair<bool, uint8_t>> told;
  constexpr uint8_t level_ext = 3;
  fwd.add_track(5, {pub, 48000, false, {{0x0A0D, ""}}, 0, level_ext,
                    [&](bool speaking, uint8_t level) { told.emplace_back(speaking, level); }});
  fwd.add_route(5, sub, 0x7005);
  uint16_t s = 1;
  auto talk = [&](uint8_t level, int ms) {
    for (int t = 0; t < ms; t += 20, now += 20) {
      rtp_spec a;
      a.seq = s++;
      a.ts = s * 960u;
      a.ssrc = 0x0A0D;
      a.pt = 111;
      a.audio_level_id = level_ext;
      a.audio_level = level;
      fwd.on_rtp(pub, build_rtp(a), now);
      fwd.tick(now, 0);
    }
  };
  talk(100, 600);
  BOOST_TEST(told.empty());
  talk(28, 400);
  BOOST_REQUIRE(told.size() == 1u);
  BOOST_TEST(told[0].first);
  BOOST_TEST(told[0].second == 28);
  // Forwarded as ever, the extension with it.
  BOOST_TEST(received(sub).size() == 50u);
  talk(100, 1200);
  BOOST_REQUIRE(told.size() == 2u);
  BOOST_TEST(!told[1].first);
  // A track without the extension (or a removed one) is never judged.
  fwd.remove_track(5);
  talk(28, 600);
  BOOST_TEST(told.size() == 2u);
}
BOOST_AUTO_TEST_SUITE_END()
