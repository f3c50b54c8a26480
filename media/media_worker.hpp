#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "media/forwarder.hpp"
#include "transport/data_channel.hpp"
#include "transport/dtls_session.hpp"

namespace lamplight::media {

/// One forwarding thread with one UDP port (the data plane of the SFU).
/// Every peer connection of the worker shares the port: STUN is routed by
/// ICE ufrag, everything else by the 5-tuple ICE validated (RFC 7983 demux).
/// Each ingress RTP packet is decrypted once, then per subscriber rewritten
/// (media::forwarder) and encrypted with that subscriber's key. Track
/// actors program it, through their media room's track_media, with the
/// thread-safe calls below; no actor message per packet, no lock on the
/// packet path.
class media_worker {
public:
  using peer_id = uint64_t;

  struct config {
    std::string bind_address = "127.0.0.1";
    uint16_t port = 0;  // 0: any free port
    /// What REMB tells each publisher it may send, once a second: without a
    /// bandwidth estimate Chrome stays at its start rate and never enables
    /// its higher simulcast layers.
    uint64_t remb_bps = 2'500'000;
    /// Keys for pipes to other media workers (the cluster's shared secret,
    /// or what is derived from it); empty: this worker makes no pipes.
    std::vector<uint8_t> pipe_secret;
    /// How often each peer's meter (peer_params::meter) hears what was
    /// sent to it since: billing wants minutes, not packets.
    std::chrono::milliseconds meter_interval{5000};
  };

  /// How another worker reaches this one through a pipe: its address,
  /// port and a random nonce of this run, from which (with the shared
  /// secret) both ends derive the SRTP keys of each direction. A restarted
  /// worker has a new nonce, so keys (and SRTP's IVs) are never reused.
  struct pipe_endpoint {
    std::string address;
    uint16_t port = 0;
    std::string nonce;  // hex
    /// Names the secret without giving it away: pipes are only made
    /// between workers whose key ids match.
    std::string key_id;
  };

  struct peer_params {
    std::string local_ufrag;
    std::string local_pwd;
    std::string remote_ufrag;
    std::string remote_fingerprint;  // "sha-256 AB:..." from the peer's SDP
    transport::dtls_role role = transport::dtls_role::server;
    /// Data channels (SCTP over the DTLS of this peer), when its SDP has an
    /// application section. Messages are relayed to the peers of the same
    /// non-zero group (a classroom) that opened a channel with the same
    /// label, as an SFU forwards media: no actor sees them.
    bool data_channels = false;
    uint64_t data_group = 0;
    /// Messages on the node's own channels (labels "lamplight.*", e.g.
    /// photo uploads) are not relayed but handed to this, on the worker
    /// thread: it must not block.
    std::function<void(peer_id, const transport::data_channel_message&)> on_node_channel = {};
    /// Told, on the worker thread, the SRTP and SRTCP bytes sent to this
    /// peer (forwarded media and the feedback it gets): every
    /// `meter_interval` while there are some, and the rest when the peer
    /// goes or the worker stops. It must not block (a queue push).
    std::function<void(uint64_t bytes)> meter = {};
  };

  struct peer_stats {
    bool ice_connected = false;
    transport::dtls_state dtls = transport::dtls_state::connecting;
    uint64_t rtp_in = 0;
    uint64_t rtp_out = 0;
    uint64_t bytes_out = 0;  // SRTP and SRTCP bytes sent to it
    uint64_t rtcp_in = 0;
    uint64_t srtp_failures = 0;
    bool sctp_open = false;
    uint64_t data_in = 0;   // data channel messages received
    uint64_t data_out = 0;  // relayed to this peer
  };

  /// The forwarder's counters (RTCP sent, SSRCs dropped, layer switches)
  /// and the worker's own, since it started. Plain integers of the worker
  /// thread, copied out by stats(): counting costs the packet path an
  /// increment, no atomic and no lock.
  struct worker_stats : forwarder::counters {
    uint64_t datagrams_in = 0;
    uint64_t rtp_in = 0;         // RTP packets that decrypted (all peers)
    uint64_t rtp_forwarded = 0;  // RTP packets sent to subscribers, retransmissions included
    uint64_t bytes_out = 0;      // UDP payload bytes sent (media, RTCP, DTLS, STUN)
    uint64_t send_dropped = 0;   // datagrams the socket refused (buffer full)
    uint64_t srtp_failures = 0;  // SRTP/SRTCP that did not decrypt, or came before keys
    uint64_t unroutable = 0;  // not STUN and from no validated tuple
    uint64_t garbage = 0;     // no known protocol (RFC 7983)
    uint64_t data_relayed = 0;    // data channel messages, per receiving peer
    uint64_t data_unrelayed = 0;  // for a group member without the channel, or refused
    uint64_t pipes = 0;           // pipes to other workers (a gauge)
    uint64_t pipe_rtp_in = 0;     // RTP from other workers' pipes
    uint64_t pipe_rtp_out = 0;    // RTP sent into pipes
  };

  /// Binds and starts the thread; throws std::system_error if it cannot bind.
  explicit media_worker(config cfg);
  ~media_worker();
  media_worker(const media_worker&) = delete;
  media_worker& operator=(const media_worker&) = delete;

  uint16_t port() const;
  /// The address it is bound to, for SDP candidates.
  const std::string& address() const;
  /// Our DTLS certificate's fingerprint, for SDP answers.
  const std::string& fingerprint() const;

  /// Peers it holds now (placement reads it from other threads).
  std::size_t peer_count() const;

  /// nullopt if the ufrag is taken. Returns at once: the worker sets the
  /// peer up in order with the commands that follow (routes, tracks).
  std::optional<peer_id> add_peer(peer_params params);
  void remove_peer(peer_id id);

  /// The peer that carries media between this worker and `remote`, made
  /// on first use and shared by every classroom of both workers: a track
  /// crosses to another worker once, however many subscribers it has
  /// there. No ICE and no DTLS: the tuple is the endpoint's, the SRTP keys
  /// (AES-128-GCM) are derived from the pipe secret and both nonces' sender.
  /// It routes and is routed to like any peer (tracks it publishes, routes
  /// to it, RTCP both ways). Re-keyed if the remote's nonce changed.
  /// nullopt without a pipe secret, for another secret's key id or for an
  /// address that is not IPv4.
  std::optional<peer_id> pipe_peer(const pipe_endpoint& remote);
  pipe_endpoint pipe_self() const;

  /// A track a peer publishes (its SSRCs or simulcast rids); see forwarder.
  using track_id = forwarder::track_id;
  using track_params = forwarder::track_params;
  track_id add_track(track_params params);
  void remove_track(track_id track);
  /// Forwards `track` to `subscriber` as `out_ssrc`, preferring simulcast
  /// layer `layer` (0: the lowest).
  void add_route(track_id track, peer_id subscriber, uint32_t out_ssrc, int layer = 0);
  void set_layer(track_id track, peer_id subscriber, int layer);
  void remove_route(track_id track, peer_id subscriber);

  /// Sends a message on a data channel of `peer` that it opened with
  /// `label` (the node's answers on its own channels); dropped if the peer
  /// has none.
  void send_data(peer_id peer, std::string label, bool binary, std::string data);
  /// The layer `subscriber` receives now (-1: none yet); nullopt if the
  /// worker did not answer.
  std::optional<int> current_layer(track_id track, peer_id subscriber);

  /// nullopt if no such peer (or the worker did not answer in time).
  std::optional<peer_stats> stats(peer_id id);
  /// The worker's counters; all zero if it did not answer within 5 s.
  worker_stats stats();
  /// The same, asked without waiting: ready once the worker thread ran the
  /// request (never, if that thread is stuck), so a caller can ask many
  /// workers at once and wait for all against one deadline.
  std::future<worker_stats> stats_async();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace lamplight::media
