// The forwarding plane over real loopback sockets with real crypto: two
// peers run ICE (as controlling full agents), DTLS as clients and SRTP
// against one media worker port; RTP from one comes out at the other,
// rewritten and re-encrypted.
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>


#include "media/media_worker.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"
#include "media/worker_pool.hpp"
#include "tests/media/rtp_builder.hpp"
#include "transport/rtc_peer.hpp"

using namespace lamplight;
using namespace lamplight::media;

namespace {

/// A client peer (transport::rtc_peer: its own socket, ICE check, DTLS
/// client, SRTP) with the test's shorthands.
class test_peer : public transport::rtc_peer {
public:
  media_worker::peer_params params() const {
    return {server_ufrag, server_pwd, local_ufrag, fingerprint(), transport::dtls_role::server};
  }

  bool connect(uint16_t port, const std::string& worker_fp) {
    return rtc_peer::connect("127.0.0.1", port, worker_fp, std::chrono::seconds(3));
  }

  void send_rtp(uint16_t seq, uint32_t ssrc, uint8_t marker_byte) {
    std::vector<uint8_t> p = {0x80, 96, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                              0, 0, 0, 90,
                              static_cast<uint8_t>(ssrc >> 24), static_cast<uint8_t>(ssrc >> 16),
                              static_cast<uint8_t>(ssrc >> 8), static_cast<uint8_t>(ssrc)};
    p.insert(p.end(), 200, marker_byte);
    BOOST_REQUIRE(rtc_peer::send_rtp(std::move(p)));
  }

  /// Next RTCP compound that decrypts and parses.
  std::optional<std::vector<rtcp_message>> rtcp(std::chrono::milliseconds timeout) {
    auto d = recv_rtcp(timeout);
    if (!d)
      return std::nullopt;
    return parse_rtcp(d->data(), d->size());
  }

  void send_raw(const std::vector<uint8_t>& d) { rtc_peer::send_raw(d.data(), d.size()); }
  void aim(uint16_t port) { rtc_peer::aim("127.0.0.1", port); }
};

/// A worker with one publisher and one subscriber, both connected (ICE,
/// DTLS, SRTP).
struct pub_sub {
  media_worker worker{media_worker::config{}};
  test_peer pub, sub;
  std::optional<media_worker::peer_id> p = worker.add_peer(pub.params());
  std::optional<media_worker::peer_id> s = worker.add_peer(sub.params());
  pub_sub() {
    BOOST_REQUIRE(p && s);
    BOOST_REQUIRE(pub.connect(worker.port(), worker.fingerprint()));
    BOOST_REQUIRE(sub.connect(worker.port(), worker.fingerprint()));
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(media_worker_tests)

BOOST_AUTO_TEST_CASE(forwards_rtp_from_publisher_to_subscribers) {
  media_worker worker(media_worker::config{});
  test_peer pub, sub1, sub2;
  auto p = worker.add_peer(pub.params());
  auto s1 = worker.add_peer(sub1.params());
  auto s2 = worker.add_peer(sub2.params());
  BOOST_REQUIRE(p && s1 && s2);
  BOOST_REQUIRE(pub.connect(worker.port(), worker.fingerprint()));
  BOOST_REQUIRE(sub1.connect(worker.port(), worker.fingerprint()));
  BOOST_REQUIRE(sub2.connect(worker.port(), worker.fingerprint()));
  auto track = worker.add_track({*p, 90000, false, {{0x1111, ""}}, 0, 0, {}});
  worker.add_route(track, *s1, 0xA1);
  worker.add_route(track, *s2, 0xA2);

  // Sequence numbers wrap during the run; each subscriber must see its own
  // contiguous sequence space with its own SSRC and the same payloads.
  std::vector<std::optional<uint16_t>> last(2);
  int received[2] = {0, 0};
  for (int i = 0; i < 50; ++i) {
    pub.send_rtp(static_cast<uint16_t>(65510 + i), 0x1111, static_cast<uint8_t>(i));
    for (int k = 0; k < 2; ++k) {
      auto pkt = (k == 0 ? sub1 : sub2).recv_rtp(std::chrono::seconds(2));
      BOOST_REQUIRE_MESSAGE(pkt.has_value(), "subscriber " << k << " got nothing at " << i);
      auto v = rtp_packet::parse(pkt->data(), pkt->size());
      BOOST_REQUIRE(v.has_value());
      BOOST_TEST(v->ssrc() == (k == 0 ? 0xA1u : 0xA2u));
      BOOST_TEST(v->payload()[0] == static_cast<uint8_t>(i));
      if (last[static_cast<std::size_t>(k)])
        BOOST_TEST(v->sequence() == static_cast<uint16_t>(*last[static_cast<std::size_t>(k)] + 1));
      last[static_cast<std::size_t>(k)] = v->sequence();
      ++received[k];
    }
  }
  BOOST_TEST(received[0] == 50);
  BOOST_TEST(received[1] == 50);
  auto ps = worker.stats(*p);
  BOOST_REQUIRE(ps.has_value());
  BOOST_TEST(ps->ice_connected);
  BOOST_TEST((ps->dtls == transport::dtls_state::connected));
  BOOST_TEST(ps->rtp_in == 50u);
  BOOST_TEST(worker.stats(*s1)->rtp_out == 50u);
  // The worker's own totals (what /metrics sums): one decrypt per packet
  // in, one send per subscriber out.
  auto totals = worker.stats();
  BOOST_TEST(totals.rtp_in == 50u);
  BOOST_TEST(totals.rtp_forwarded == 100u);
  BOOST_TEST(totals.datagrams_in >= 50u);
  BOOST_TEST(totals.bytes_out >= 100u * (12u + 200u));  // plus SRTP tags, DTLS, STUN
  BOOST_TEST(totals.srtp_failures == 0u);
  BOOST_TEST(totals.send_dropped == 0u);
  BOOST_TEST(totals.retransmitted == 0u);
  // Not video: the routes started at once, asking for no key frame.
  BOOST_TEST(totals.plis_sent == 0u);

  // Unsubscribing stops the flow to that subscriber only.
  worker.remove_route(track, *s2);
  pub.send_rtp(100, 0x1111, 0xEE);
  BOOST_TEST(sub1.recv_rtp(std::chrono::seconds(2)).has_value());
  BOOST_TEST(!sub2.recv_rtp(std::chrono::milliseconds(300)).has_value());
}

BOOST_AUTO_TEST_CASE(meters_what_it_sends_each_peer_when_the_peer_goes_and_when_it_stops) {
  media_worker::config cfg;
  cfg.meter_interval = std::chrono::hours(1);  // only the first turn, removal and stop
  auto worker = std::make_unique<media_worker>(cfg);
  struct meter {
    std::mutex mtx;
    std::condition_variable told;
    uint64_t bytes = 0;
    int reports = 0;
    std::function<void(uint64_t)> fn() {
      return [this](uint64_t n) {
        std::lock_guard<std::mutex> lock(mtx);
        bytes += n;
        ++reports;
        told.notify_all();
      };
    }
    uint64_t wait(int at_least) {
      std::unique_lock<std::mutex> lock(mtx);
      told.wait_for(lock, std::chrono::seconds(5), [&] { return reports >= at_least; });
      return bytes;
    }
    uint64_t now() {
      std::lock_guard<std::mutex> lock(mtx);
      return bytes;
    }
  } m1, m2;
  test_peer pub, sub1, sub2;
  auto p = worker->add_peer(pub.params());
  auto p1 = sub1.params();
  p1.meter = m1.fn();
  auto p2 = sub2.params();
  p2.meter = m2.fn();
  auto s1 = worker->add_peer(p1);
  auto s2 = worker->add_peer(p2);
  BOOST_REQUIRE(p && s1 && s2);
  BOOST_REQUIRE(pub.connect(worker->port(), worker->fingerprint()));
  BOOST_REQUIRE(sub1.connect(worker->port(), worker->fingerprint()));
  BOOST_REQUIRE(sub2.connect(worker->port(), worker->fingerprint()));
  auto track = worker->add_track({*p, 90000, false, {{0x1111, ""}}, 0, 0, {}});
  worker->add_route(track, *s1, 0xA1);
  worker->add_route(track, *s2, 0xA2);
  for (int i = 0; i < 20; ++i) {
    pub.send_rtp(static_cast<uint16_t>(i), 0x1111, 7);
    BOOST_REQUIRE(sub1.recv_rtp(std::chrono::seconds(2)).has_value());
    BOOST_REQUIRE(sub2.recv_rtp(std::chrono::seconds(2)).has_value());
  }
  auto sent = worker->stats(*s1);
  BOOST_REQUIRE(sent.has_value());
  // SRTP: header, payload and at least a 4-byte tag per packet.
  BOOST_TEST(sent->bytes_out >= 20u * (12u + 200u + 4u));
  BOOST_TEST(m1.now() == 0u);  // the interval has not passed: nothing told yet
  worker->remove_peer(*s1);
  auto told = m1.wait(1);
  BOOST_TEST(told >= sent->bytes_out);  // what was sent, and any report since
  BOOST_TEST(m2.now() == 0u);
  worker.reset();  // stopping: the rest is told too
  BOOST_TEST(m2.wait(1) >= 20u * (12u + 200u + 4u));
}

BOOST_FIXTURE_TEST_CASE(nack_recovers_losses_on_both_legs, pub_sub) {
  worker.add_route(worker.add_track({*p, 90000, false, {{0x2222, ""}}, 0, 0, {}}), *s, 0xB2);
  auto payload_and_seq = [&](const std::vector<uint8_t>& pkt) {
    auto v = rtp_packet::parse(const_cast<uint8_t*>(pkt.data()), pkt.size());
    return std::make_pair(v->payload()[0], v->sequence());
  };
  pub.send_rtp(10, 0x2222, 10);
  auto a = sub.recv_rtp(std::chrono::seconds(2));
  pub.send_rtp(11, 0x2222, 11);
  auto b = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(a && b);
  auto [b_payload, b_seq] = payload_and_seq(*b);
  BOOST_TEST(b_payload == 11);
  // 12 is lost on the way in: the worker NACKs it to the publisher.
  pub.send_rtp(13, 0x2222, 13);
  BOOST_REQUIRE(sub.recv_rtp(std::chrono::seconds(2)).has_value());
  std::optional<std::vector<uint16_t>> asked;
  for (int i = 0; i < 5 && !asked; ++i)
    if (auto msgs = pub.rtcp(std::chrono::seconds(2)))
      for (auto& m : *msgs)
        if (auto* n = std::get_if<nack>(&m); n && n->media_ssrc == 0x2222)
          asked = n->lost;
  BOOST_REQUIRE(asked.has_value());
  BOOST_TEST(*asked == std::vector<uint16_t>{12}, boost::test_tools::per_element());
  pub.send_rtp(12, 0x2222, 12);
  auto late = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(late.has_value());
  auto [late_payload, late_seq] = payload_and_seq(*late);
  BOOST_TEST(late_payload == 12);
  BOOST_TEST(late_seq == static_cast<uint16_t>(b_seq + 1));  // in its place
  // Lost on the way out: the subscriber NACKs its own sequence number and
  // the worker resends from its history.
  sub.reset_inbound();
  std::vector<uint8_t> n;
  write_rtcp(n, nack{0x5555, 0xB2, {b_seq}});
  BOOST_REQUIRE(sub.send_rtcp(n));
  auto again = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(payload_and_seq(*again).first == 11);
  BOOST_TEST(payload_and_seq(*again).second == b_seq);
  auto ws = worker.stats();
  BOOST_TEST(ws.nacks_sent >= 1u);
  BOOST_TEST(ws.retransmitted == 1u);
  // Four packets in, four forwarded plus the one resent.
  BOOST_TEST(ws.rtp_in == 4u);
  BOOST_TEST(ws.rtp_forwarded == 5u);
  // And the publisher hears a bandwidth estimate for its stream.
  std::optional<remb> estimate;
  for (int i = 0; i < 5 && !estimate; ++i)
    if (auto msgs = pub.rtcp(std::chrono::seconds(2)))
      for (auto& m : *msgs)
        if (auto* r = std::get_if<remb>(&m))
          estimate = *r;
  BOOST_REQUIRE(estimate.has_value());
  BOOST_TEST(estimate->ssrcs == std::vector<uint32_t>{0x2222}, boost::test_tools::per_element());
  BOOST_TEST(estimate->bitrate_bps > 2'400'000u);
}

BOOST_FIXTURE_TEST_CASE(reports_reception_upstream_and_sends_sender_reports_downstream, pub_sub) {
  worker.add_route(worker.add_track({*p, 90000, false, {{0x3333, ""}}, 0, 0, {}}), *s, 0xC3);
  // 20 packets, 7 never sent (lost for good).
  for (uint16_t seq = 1; seq <= 20; ++seq)
    if (seq != 7)
      pub.send_rtp(seq, 0x3333, static_cast<uint8_t>(seq));
  for (int i = 0; i < 19; ++i)
    BOOST_REQUIRE(sub.recv_rtp(std::chrono::seconds(2)).has_value());
  // The publisher's SR: its clock mapping, which subscribers need.
  std::vector<uint8_t> sr;
  uint64_t ntp = 0xE1234567'89ABCDEFull;
  write_rtcp(sr, sender_report{0x3333, ntp, 900000, 19, 3800, {}});
  BOOST_REQUIRE(pub.send_rtcp(sr));
  std::optional<report_block> block;
  for (int i = 0; i < 10 && !block; ++i)
    if (auto msgs = pub.rtcp(std::chrono::seconds(2)))
      for (auto& m : *msgs)
        if (auto* rr = std::get_if<receiver_report>(&m))
          for (auto& b : rr->reports)
            if (b.ssrc == 0x3333 && b.last_sr != 0)
              block = b;
  BOOST_REQUIRE_MESSAGE(block.has_value(), "no receiver report reached the publisher");
  BOOST_TEST(block->highest_seq == 20u);
  BOOST_TEST(block->cumulative_lost == 1);
  BOOST_TEST(block->last_sr == static_cast<uint32_t>(ntp >> 16));
  std::optional<sender_report> down;
  for (int i = 0; i < 10 && !down; ++i)
    if (auto msgs = sub.rtcp(std::chrono::seconds(2)))
      for (auto& m : *msgs)
        if (auto* x = std::get_if<sender_report>(&m); x && x->ssrc == 0xC3)
          down = *x;
  BOOST_REQUIRE_MESSAGE(down.has_value(), "no sender report reached the subscriber");
  BOOST_TEST(down->packet_count == 19u);
  BOOST_TEST(down->octet_count == 19u * 200u);
  // Extrapolated from the publisher's mapping: its RTP time moved on.
  BOOST_TEST(down->rtp_time >= 900000u);
  BOOST_TEST(worker.stats().srs_sent >= 1u);
  BOOST_TEST(worker.stats().rrs_sent >= 1u);
}

BOOST_FIXTURE_TEST_CASE(a_subscribers_nack_for_what_never_arrived_goes_upstream, pub_sub) {
  worker.add_route(worker.add_track({*p, 90000, false, {{0x4444, ""}}, 0, 0, {}}), *s, 0xD4);
  pub.send_rtp(100, 0x4444, 1);
  auto a = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(a.has_value());
  auto out_seq = rtp_packet::parse(a->data(), a->size())->sequence();
  pub.send_rtp(102, 0x4444, 3);  // 101 lost on the way in
  BOOST_REQUIRE(sub.recv_rtp(std::chrono::seconds(2)).has_value());
  // Drain the worker's own NACK for 101, then lose its answer: the
  // subscriber's NACK must reach the publisher again.
  auto nacked = [&](uint16_t seq) {
    for (int i = 0; i < 5; ++i)
      if (auto msgs = pub.rtcp(std::chrono::seconds(2)))
        for (auto& m : *msgs)
          if (auto* x = std::get_if<nack>(&m); x && x->media_ssrc == 0x4444
                                                && x->lost == std::vector<uint16_t>{seq})
            return true;
    return false;
  };
  BOOST_REQUIRE(nacked(101));
  // A subscriber repeats its NACK until it is answered; the worker passes
  // it on once its own ask had time to be answered (not at every repeat).
  std::vector<uint8_t> n;
  write_rtcp(n, nack{0x5555, 0xD4, {static_cast<uint16_t>(out_seq + 1)}});
  bool again = false;
  for (int i = 0; i < 20 && !again; ++i) {
    BOOST_REQUIRE(sub.send_rtcp(n));
    if (auto msgs = pub.rtcp(std::chrono::milliseconds(200)))
      for (auto& m : *msgs)
        if (auto* x = std::get_if<nack>(&m); x && x->media_ssrc == 0x4444
                                              && x->lost == std::vector<uint16_t>{101})
          again = true;
  }
  BOOST_TEST(again);
}

BOOST_FIXTURE_TEST_CASE(simulcast_by_rid_switches_layers_on_request, pub_sub) {
  auto track = worker.add_track({*p, 90000, true, {{0, "q"}, {0, "f"}}, 10, 0, {}});
  worker.add_route(track, *s, 0xE5, 0);
  uint16_t seq[2] = {1, 30000};
  uint16_t pid[2] = {1, 700};
  // One frame of each layer, tagged with its rid; the payload says which.
  auto frames = [&](bool key) {
    for (int l = 0; l < 2; ++l) {
      test::rtp_spec x;
      x.seq = seq[l]++;
      x.ts = seq[l] * 3000u;
      x.ssrc = l == 0 ? 0x0101 : 0x0202;
      x.vp8 = true;
      x.keyframe = key;
      x.picture_id = pid[l]++;
      x.rid_id = 10;
      x.rid = l == 0 ? "q" : "f";
      x.fill = static_cast<uint8_t>(0xA0 + l);
      BOOST_REQUIRE(pub.rtc_peer::send_rtp(test::build_rtp(x)));
    }
  };
  auto layer_of = [&](const std::vector<uint8_t>& d) {
    auto v = rtp_packet::parse(const_cast<uint8_t*>(d.data()), d.size());
    BOOST_TEST(v->ssrc() == 0xE5u);
    return v->payload()[v->payload_size() - 1] - 0xA0;
  };
  frames(true);
  auto first = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(layer_of(*first) == 0);
  BOOST_TEST(*worker.current_layer(track, *s) == 0);
  // Up: the worker asks the f layer for a key frame and switches at it.
  worker.set_layer(track, *s, 1);
  frames(false);
  auto still_low = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(still_low.has_value());
  BOOST_TEST(layer_of(*still_low) == 0);
  bool asked = false;
  for (int i = 0; i < 5 && !asked; ++i)
    if (auto msgs = pub.rtcp(std::chrono::seconds(2)))
      for (auto& m : *msgs)
        if (auto* x = std::get_if<pli>(&m); x && x->media_ssrc == 0x0202)
          asked = true;
  BOOST_TEST(asked);
  frames(true);  // q's key frame still goes out, then f's starts the switch
  auto last_low = sub.recv_rtp(std::chrono::seconds(2));
  auto high = sub.recv_rtp(std::chrono::seconds(2));
  BOOST_REQUIRE(last_low && high);
  BOOST_TEST(layer_of(*last_low) == 0);
  BOOST_TEST(layer_of(*high) == 1);
  auto seq_of = [](const std::vector<uint8_t>& d) {
    return rtp_packet::parse(const_cast<uint8_t*>(d.data()), d.size())->sequence();
  };
  BOOST_TEST(seq_of(*high) == static_cast<uint16_t>(seq_of(*last_low) + 1));
  BOOST_TEST(*worker.current_layer(track, *s) == 1);
  BOOST_TEST(!sub.recv_rtp(std::chrono::milliseconds(200)).has_value());  // one layer only
  BOOST_TEST(worker.stats().layer_switches == 1u);
}

BOOST_AUTO_TEST_CASE(a_pool_places_classrooms_on_its_least_loaded_worker) {
  worker_pool pool(media_worker::config{}, 2);
  BOOST_REQUIRE(pool.workers().size() == 2u);
  BOOST_TEST(pool.workers()[0]->port() != pool.workers()[1]->port());
  auto a = pool.place();
  auto b = pool.place();  // a holds the first: the second goes elsewhere
  BOOST_TEST(a != b);
  test_peer x, y;
  BOOST_REQUIRE(a->add_peer(x.params()));
  BOOST_REQUIRE(a->add_peer(y.params()));
  b.reset();
  // The fewest peers wins, whoever holds the worker.
  auto c = pool.place();
  BOOST_TEST(c != a);
  BOOST_TEST(a->peer_count() == 2u);
  // Every worker's counters at once, against one deadline.
  auto t0 = std::chrono::steady_clock::now();
  auto all = pool.stats(t0 + std::chrono::seconds(2));
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].has_value());
  BOOST_TEST(all[1].has_value());
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)));
  // A deadline already past answers at once, with whatever is ready.
  t0 = std::chrono::steady_clock::now();
  BOOST_TEST(pool.stats(t0 - std::chrono::seconds(1)).size() == 2u);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500)));
}

BOOST_AUTO_TEST_CASE(garbage_and_strangers_are_dropped_and_counted) {
  media_worker worker(media_worker::config{});
  test_peer known, stranger;
  auto k = worker.add_peer(known.params());
  BOOST_REQUIRE(k);
  BOOST_REQUIRE(known.connect(worker.port(), worker.fingerprint()));
  // Not a known protocol, an unknown tuple speaking "DTLS" and "RTP", and
  // STUN with the wrong password: nothing crashes, nothing is answered.
  stranger.aim(worker.port());
  stranger.send_raw(std::vector<uint8_t>(100, 0x42));
  stranger.send_raw(std::vector<uint8_t>(60, 0x16));
  stranger.send_raw(std::vector<uint8_t>(60, 0x80));
  // And the known peer's own tuple sending "SRTP" that does not
  // authenticate (the failed connect below gives them time to arrive).
  known.send_raw(std::vector<uint8_t>(60, 0x80));
  known.send_raw(std::vector<uint8_t>(60, 0x81));
  stranger.server_pwd = "definitely-not-it-0000";
  stranger.server_ufrag = known.server_ufrag;
  BOOST_TEST(!stranger.connect(worker.port(), worker.fingerprint()));
  BOOST_TEST(worker.stats(*k)->srtp_failures == 2u);
  auto ws = worker.stats();
  BOOST_TEST(ws.garbage >= 1u);
  BOOST_TEST(ws.unroutable >= 2u);
  BOOST_TEST(ws.srtp_failures == 2u);
  BOOST_TEST(ws.rtp_in == 0u);
  // The known peer is unaffected.
  BOOST_TEST((worker.stats(*k)->dtls == transport::dtls_state::connected));
  // A duplicate ufrag is refused.
  BOOST_TEST(!worker.add_peer(known.params()).has_value());
}

BOOST_AUTO_TEST_CASE(a_pipe_carries_a_track_to_another_worker_once_and_rtcp_back) {
  // Two workers, as on two media nodes: the publisher on A, subscribers on
  // B. A sends the track to B once, over the pipe (SRTP keyed from the
  // shared secret and each worker's nonce); B fans it out.
  media_worker::config cfg;
  cfg.pipe_secret = std::vector<uint8_t>(32, 7);
  media_worker a(cfg), b(cfg);
  test_peer pub, sub1, sub2;
  auto p = a.add_peer(pub.params());
  auto s1 = b.add_peer(sub1.params());
  auto s2 = b.add_peer(sub2.params());
  BOOST_REQUIRE(p && s1 && s2);
  BOOST_REQUIRE(pub.connect(a.port(), a.fingerprint()));
  BOOST_REQUIRE(sub1.connect(b.port(), b.fingerprint()));
  BOOST_REQUIRE(sub2.connect(b.port(), b.fingerprint()));
  auto a_to_b = a.pipe_peer(b.pipe_self());
  auto b_to_a = b.pipe_peer(a.pipe_self());
  BOOST_REQUIRE(a_to_b && b_to_a);
  BOOST_TEST(*a.pipe_peer(b.pipe_self()) == *a_to_b);  // one pipe per pair of workers
  auto track = a.add_track({*p, 90000, false, {{0x1111, ""}}, 0, 0, {}});
  a.add_route(track, *a_to_b, 0xB1);
  auto piped = b.add_track({*b_to_a, 90000, false, {{0xB1, ""}}, 0, 0, {}});
  b.add_route(piped, *s1, 0xC1);
  b.add_route(piped, *s2, 0xC2);
  for (int i = 0; i < 20; ++i) {
    pub.send_rtp(static_cast<uint16_t>(100 + i), 0x1111, static_cast<uint8_t>(i));
    for (auto* sub : {&sub1, &sub2}) {
      auto pkt = sub->recv_rtp(std::chrono::seconds(2));
      BOOST_REQUIRE_MESSAGE(pkt.has_value(), "nothing across the pipe at " << i);
      auto v = rtp_packet::parse(pkt->data(), pkt->size());
      BOOST_REQUIRE(v.has_value());
      BOOST_TEST(v->ssrc() == (sub == &sub1 ? 0xC1u : 0xC2u));
      BOOST_TEST(v->payload()[0] == static_cast<uint8_t>(i));
    }
  }
  // Once per remote worker: A sent each packet once, B twice.
  BOOST_TEST(a.stats().rtp_forwarded == 20u);
  BOOST_TEST(b.stats().rtp_in == 20u);
  BOOST_TEST(b.stats().rtp_forwarded == 40u);
  BOOST_TEST(a.stats(*a_to_b)->rtp_out == 20u);
  BOOST_TEST(a.stats().pipe_rtp_out == 20u);
  BOOST_TEST(b.stats().pipe_rtp_in == 20u);
  BOOST_TEST(a.stats().pipes == 1u);
  BOOST_TEST(b.stats().pipes == 1u);
  // A subscriber's key frame request goes up both hops to the publisher.
  std::vector<uint8_t> req;
  write_rtcp(req, pli{0x5555, 0xC1});
  BOOST_REQUIRE(sub1.send_rtcp(req));
  bool asked = false;
  for (int i = 0; i < 10 && !asked; ++i)
    if (auto msgs = pub.rtcp(std::chrono::seconds(2)))
      for (auto& m : *msgs)
        if (auto* x = std::get_if<pli>(&m); x && x->media_ssrc == 0x1111)
          asked = true;
  BOOST_TEST(asked);
  BOOST_TEST(a.stats().srtp_failures == 0u);
  BOOST_TEST(b.stats().srtp_failures == 0u);
}

BOOST_AUTO_TEST_CASE(a_pipe_from_a_worker_with_another_secret_or_no_secret_carries_nothing) {
  media_worker::config cfg, other, none;
  cfg.pipe_secret = std::vector<uint8_t>(32, 7);
  other.pipe_secret = std::vector<uint8_t>(32, 8);
  media_worker a(other), b(cfg), c(none);
  BOOST_TEST(!c.pipe_peer(b.pipe_self()).has_value());
  BOOST_TEST(!b.pipe_peer({"not-an-address", 4000, "00", b.pipe_self().key_id}).has_value());
  BOOST_TEST(!b.pipe_peer(a.pipe_self()).has_value());  // another secret: refused up front
  BOOST_TEST(a.pipe_self().key_id != b.pipe_self().key_id);
  test_peer pub, sub;
  auto p = a.add_peer(pub.params());
  auto s = b.add_peer(sub.params());
  BOOST_REQUIRE(p && s);
  BOOST_REQUIRE(pub.connect(a.port(), a.fingerprint()));
  BOOST_REQUIRE(sub.connect(b.port(), b.fingerprint()));
  // Were the key ids alike, the keys still would not be.
  auto forged = b.pipe_self();
  forged.key_id = a.pipe_self().key_id;
  auto a_to_b = a.pipe_peer(forged);
  auto pretend = a.pipe_self();
  pretend.key_id = b.pipe_self().key_id;
  auto b_to_a = b.pipe_peer(pretend);
  BOOST_REQUIRE(a_to_b && b_to_a);
  a.add_route(a.add_track({*p, 90000, false, {{0x1111, ""}}, 0, 0, {}}), *a_to_b, 0xB1);
  b.add_route(b.add_track({*b_to_a, 90000, false, {{0xB1, ""}}, 0, 0, {}}), *s, 0xC1);
  for (int i = 0; i < 5; ++i)
    pub.send_rtp(static_cast<uint16_t>(i), 0x1111, 1);
  BOOST_TEST(!sub.recv_rtp(std::chrono::milliseconds(300)).has_value());
  auto st = b.stats();
  BOOST_TEST(st.srtp_failures >= 5u);  // counted (its RTCP too), dropped, nothing forwarded
  BOOST_TEST(st.rtp_forwarded == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
