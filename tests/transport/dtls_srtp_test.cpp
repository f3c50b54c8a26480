// DTLS 1.2 handshake between two of our sessions over an in-memory datagram
// path, the SRTP keys it exports, and SRTP/SRTCP with them (libsrtp2).
#include <boost/test/unit_test.hpp>

#include <deque>

#include "transport/dtls_session.hpp"
#include "transport/srtp_session.hpp"

using namespace lamplight::transport;

namespace {

struct wire {
  std::deque<std::vector<uint8_t>> to_client, to_server;
  std::size_t largest = 0;
};

struct pair_fixture {
  std::shared_ptr<dtls_certificate> client_cert = dtls_certificate::generate();
  std::shared_ptr<dtls_certificate> server_cert = dtls_certificate::generate();
  wire w;

  std::unique_ptr<dtls_session> make(dtls_role role, std::string remote_fp) {
    auto& out = role == dtls_role::client ? w.to_server : w.to_client;
    return std::make_unique<dtls_session>(
      role == dtls_role::client ? client_cert : server_cert, role, std::move(remote_fp),
      [this, &out](const uint8_t* d, std::size_t n) {
        w.largest = std::max(w.largest, n);
        out.emplace_back(d, d + n);
      });
  }

  /// Delivers datagrams both ways until nothing moves (bounded).
  void pump(dtls_session& client, dtls_session& server) {
    for (int round = 0; round < 50 && (!w.to_client.empty() || !w.to_server.empty()); ++round) {
      while (!w.to_server.empty()) {
        auto d = std::move(w.to_server.front());
        w.to_server.pop_front();
        server.on_datagram(d.data(), d.size());
      }
      while (!w.to_client.empty()) {
        auto d = std::move(w.to_client.front());
        w.to_client.pop_front();
        client.on_datagram(d.data(), d.size());
      }
    }
  }
};

std::vector<uint8_t> rtp(uint16_t seq) {
  std::vector<uint8_t> p = {0x80, 96, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq),
                            0, 0, 0x10, 0, 0x11, 0x22, 0x33, 0x44};
  for (int i = 0; i < 100; ++i)
    p.push_back(static_cast<uint8_t>(i));
  return p;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(dtls_srtp, pair_fixture)

BOOST_AUTO_TEST_CASE(certificate_fingerprint_is_sdp_shaped) {
  BOOST_REQUIRE(client_cert);
  auto fp = client_cert->fingerprint();
  BOOST_TEST(fp.rfind("sha-256 ", 0) == 0u);
  BOOST_TEST(fp.size() == 8u + 32u * 3u - 1u);
  BOOST_TEST(fp != server_cert->fingerprint());
}

BOOST_AUTO_TEST_CASE(handshake_exports_matching_keys_and_srtp_works) {
  auto client = make(dtls_role::client, server_cert->fingerprint());
  auto server = make(dtls_role::server, client_cert->fingerprint());
  client->start();
  BOOST_TEST(client->next_timeout().has_value());
  pump(*client, *server);
  BOOST_REQUIRE_MESSAGE(client->state() == dtls_state::connected, client->error());
  BOOST_REQUIRE_MESSAGE(server->state() == dtls_state::connected, server->error());
  BOOST_TEST(w.largest <= 1200u);  // ECDSA flights fit the MTU, one per datagram
  auto& ck = *client->keys();
  auto& sk = *server->keys();
  BOOST_TEST((ck.profile == srtp_profile::aead_aes_128_gcm));
  BOOST_TEST(ck.local == sk.remote);
  BOOST_TEST(ck.remote == sk.local);
  BOOST_TEST(ck.local != ck.remote);
  BOOST_TEST(ck.local.size() == 28u);

  auto out = srtp_session::create(ck.profile, ck.local, srtp_session::direction::outbound);
  auto in = srtp_session::create(sk.profile, sk.remote, srtp_session::direction::inbound);
  BOOST_REQUIRE(bool(out) && bool(in));
  auto plain = rtp(1);
  auto packet = plain;
  BOOST_REQUIRE((*out)->protect_rtp(packet));
  BOOST_TEST(packet.size() == plain.size() + 16u);  // GCM tag
  auto copy = packet;
  BOOST_REQUIRE((*in)->unprotect_rtp(packet));
  BOOST_TEST(packet == plain);
  BOOST_TEST(!(*in)->unprotect_rtp(copy));  // replay
  auto tampered = rtp(2);
  BOOST_REQUIRE((*out)->protect_rtp(tampered));
  tampered[20] ^= 1;
  BOOST_TEST(!(*in)->unprotect_rtp(tampered));
  // A retransmission of the same sequence number is allowed outbound.
  auto again = rtp(1);
  BOOST_TEST((*out)->protect_rtp(again));

  std::vector<uint8_t> rr = {0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44};
  auto rtcp = rr;
  BOOST_REQUIRE((*out)->protect_rtcp(rtcp));
  BOOST_REQUIRE((*in)->unprotect_rtcp(rtcp));
  BOOST_TEST(rtcp == rr);

  // Application data (what SCTP will use) goes both ways.
  const uint8_t hi[] = {'h', 'i'};
  BOOST_TEST(client->send_application(hi, 2));
  pump(*client, *server);
  auto got = server->take_application();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST((got[0] == std::vector<uint8_t>{'h', 'i'}));
}

BOOST_AUTO_TEST_CASE(wrong_fingerprint_fails_the_session) {
  auto other = dtls_certificate::generate();
  auto client = make(dtls_role::client, other->fingerprint());  // not the server's
  auto server = make(dtls_role::server, client_cert->fingerprint());
  client->start();
  pump(*client, *server);
  BOOST_TEST((client->state() == dtls_state::failed));
  BOOST_TEST(client->error().find("fingerprint") != std::string::npos);
  BOOST_TEST(!client->keys().has_value());
  BOOST_TEST(!client->send_application(reinterpret_cast<const uint8_t*>("x"), 1));
}

BOOST_AUTO_TEST_CASE(garbage_datagrams_do_not_crash_or_connect) {
  auto server = make(dtls_role::server, client_cert->fingerprint());
  std::vector<uint8_t> junk(300, 0x16);
  server->on_datagram(junk.data(), junk.size());
  server->on_datagram(junk.data(), 1);
  BOOST_TEST((server->state() != dtls_state::connected));
  BOOST_TEST(!server->keys().has_value());
}

BOOST_AUTO_TEST_CASE(cm_sha1_80_keys_and_sizes) {
  std::vector<uint8_t> key(30, 7);
  auto out = srtp_session::create(srtp_profile::aes128_cm_sha1_80, key,
                                  srtp_session::direction::outbound);
  auto in = srtp_session::create(srtp_profile::aes128_cm_sha1_80, key,
                                 srtp_session::direction::inbound);
  BOOST_REQUIRE(bool(out) && bool(in));
  auto p = rtp(9);
  BOOST_REQUIRE((*out)->protect_rtp(p));
  BOOST_TEST(p.size() == rtp(9).size() + 10u);
  BOOST_TEST((*in)->unprotect_rtp(p));
  BOOST_TEST(!bool(srtp_session::create(srtp_profile::aes128_cm_sha1_80,
                                        std::vector<uint8_t>(5, 1),
                                        srtp_session::direction::inbound)));
}

BOOST_AUTO_TEST_SUITE_END()
