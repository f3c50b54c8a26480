// The forwarding plane over real loopback sockets with real crypto: two
// peers run ICE (as controlling full agents), DTLS as clients and SRTP
// against one media worker port; RTP from one comes out at the other,
// rewritten and re-encrypted.
#include <boost/test/unit_test.hpp>


#include "media/media_worker.hpp"
#include "media/rtcp_packet.hpp"
#include "media/rtp_packet.hpp"
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
  worker.add_route(*p, 0x1111, *s1, 0xA1);
  worker.add_route(*p, 0x1111, *s2, 0xA2);

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
  // Each new subscriber made the worker ask the publisher for a key frame
  // (throttled, so two subscribers at once cost one or two PLIs).
  auto plis = worker.stats().plis_sent;
  BOOST_TEST(plis >= 1u);
  BOOST_TEST(plis <= 2u);

  // Unsubscribing stops the flow to that subscriber only.
  worker.remove_route(*p, 0x1111, *s2);
  pub.send_rtp(100, 0x1111, 0xEE);
  BOOST_TEST(sub1.recv_rtp(std::chrono::seconds(2)).has_value());
  BOOST_TEST(!sub2.recv_rtp(std::chrono::milliseconds(300)).has_value());
}

BOOST_AUTO_TEST_CASE(nack_recovers_losses_on_both_legs) {
  media_worker worker(media_worker::config{});
  test_peer pub, sub;
  auto p = worker.add_peer(pub.params());
  auto s = worker.add_peer(sub.params());
  BOOST_REQUIRE(p && s);
  BOOST_REQUIRE(pub.connect(worker.port(), worker.fingerprint()));
  BOOST_REQUIRE(sub.connect(worker.port(), worker.fingerprint()));
  worker.add_route(*p, 0x2222, *s, 0xB2);
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
  stranger.server_pwd = "definitely-not-it-0000";
  stranger.server_ufrag = known.server_ufrag;
  BOOST_TEST(!stranger.connect(worker.port(), worker.fingerprint()));
  auto ws = worker.stats();
  BOOST_TEST(ws.garbage >= 1u);
  BOOST_TEST(ws.unroutable >= 2u);
  // The known peer is unaffected.
  BOOST_TEST((worker.stats(*k)->dtls == transport::dtls_state::connected));
  // A duplicate ufrag is refused.
  BOOST_TEST(!worker.add_peer(known.params()).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
