#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamplight/signal/v1/stream.pb.h"
#include "media/media_worker.hpp"
#include "media/publish_session.hpp"
#include "media/sdp.hpp"
#include "media/subscribe_session.hpp"
#include "protocol/errc.hpp"


namespace lamplight::media {

namespace signal = lamplight::signal::v1;

/// A track as it crosses a pipe to another media worker: where it comes
/// from and its streams on the pipe (one per simulcast layer, lowest
/// first), so the receiving worker serves it as if the pipe published it.
struct piped_track {
  media_worker::pipe_endpoint from;
  std::vector<uint32_t> ssrcs;
  uint32_t clock_rate = 90000;
  bool vp8 = false;
};

/// A classroom's share of one media worker: the provider's resources for
/// what the classroom's track actors asked (actors/classroom/track_actor.hpp,
/// the one owner of a track's subscribers and layers). One peer connection
/// per published track (the publisher's, answering its offer) and one
/// subscribe session per member (subscribe_session: one connection for
/// every track it watches, this side the offerer), and the worker's
/// tracks and routes (SSRCs or simulcast rids, a route per watcher with
/// its layer).
/// It programs the forwarding plane and never sees a packet. Data channels
/// ride on publishers' connections (a lamp offers one with its first
/// track); members who only watch (parents) have none.
class track_media {
public:
  /// What the worker sends this classroom's clients, for billing: told
  /// on the worker thread, so it must only hand over (a queue push).
  using byte_meter = std::function<void(uint64_t bytes)>;

  explicit track_media(std::shared_ptr<media_worker> worker = nullptr, byte_meter meter = {});
  ~track_media();
  track_media(track_media&&) = default;
  track_media& operator=(track_media&&) = default;

  bool available() const { return worker_ != nullptr; }

  /// Where the photo channel messages of publishers' connections go: media
  /// peer, the publisher, binary?, bytes. Called on the media thread: it
  /// must hand over, never block.
  using photo_handler = std::function<void(uint64_t, std::string, bool, std::string)>;
  void on_photo(photo_handler f) { on_photo_ = std::move(f); }

  /// Where a published microphone's speaking changes go (track id,
  /// speaking?, its level, RFC 6464), judged from the audio levels the
  /// client writes when our answer keeps that extension (speech_detector).
  /// Called on the media thread: it must hand over, never block.
  using speech_handler = std::function<void(const std::string&, bool, uint8_t)>;
  void on_speech(speech_handler f) { on_speech_ = std::move(f); }

  /// What one offer of a publish session did.
  struct publish_outcome {
    std::string answer;  // SDP
    /// Tracks whose streams start now (new, or on other streams or another
    /// connection: their watchers stay routed to them).
    std::vector<std::string> added;
    /// Subscribers whose sessions lost a track the session no longer
    /// publishes (each has an offer due).
    std::vector<std::string> to_offer;
  };
  /// One offer of `owner`'s publish session: every track it sends, and its
  /// data channels, on one connection (media::publish_session; the client
  /// the offerer, so no glare with its subscribe session). The first offer
  /// opens the connection; later ones renegotiate it. `track_of_mid` names
  /// the track each sending section publishes (the classroom admitted it);
  /// a sending section it does not name is answered but not forwarded, and
  /// a track the session published before that it does not name any more
  /// is unpublished. A track whose streams changed (other SSRCs, codec,
  /// section, or connection: an offer with other ICE credentials starts
  /// the session anew) keeps its id and its watchers, who notice nothing
  /// but a new stream start. Data channels are those of the connection's
  /// first offer. bad_request (an offer the session refuses, a named
  /// section that sends nothing or cannot be forwarded) leaves everything
  /// as it was.
  protocol::result<publish_outcome>
  publish_offer(const std::string& owner, const std::string& offer_sdp,
                const std::map<std::string, std::string>& track_of_mid);

  /// One offer of a member's subscribe session, for its client.
  struct session_offer {
    uint64_t session = 0;
    uint64_t version = 0;
    std::string sdp;
    std::vector<std::pair<std::string, std::string>> tracks;  // mid, track id
  };

  /// `track_id` goes into `subscriber`'s subscribe session (opened by its
  /// first track), preferring simulcast `layer`; its media flows once an
  /// answer accepted the offer that carries it. not_found if the track has
  /// no media here; a track already watched changes its layer only.
  protocol::error watch(const std::string& track_id, const std::string& subscriber,
                        signal::Layer layer = signal::LAYER_UNSPECIFIED);
  /// The session's next offer, if it has changes and no offer waits for
  /// its answer; nullopt otherwise.
  std::optional<session_offer> next_offer(const std::string& subscriber);
  /// The client's answer to the offer in flight (session, version, SDP):
  /// the accepted tracks are routed to the session's connection (the
  /// first answer opens it). wrong_state for another session or version,
  /// or none in flight; the session's errors (bad_request) as they come.
  protocol::error answer(const std::string& subscriber, uint64_t session, uint64_t version,
                         const std::string& sdp);
  /// Which simulcast layer `subscriber` wants; the worker switches at the
  /// layer's next key frame (which it asks for).
  void set_layer(const std::string& track_id, const std::string& subscriber, signal::Layer layer);
  /// The track leaves the session with its next offer; its media stops now.
  void unwatch(const std::string& track_id, const std::string& subscriber);
  /// Removes the track (and its media) from every session that watches
  /// it; returns those subscribers (each has an offer due).
  std::vector<std::string> unpublish(const std::string& track_id);
  /// Everything a member published, and its subscribe session; returns
  /// the other subscribers that watched its tracks (each has an offer due).
  std::vector<std::string> drop_member(const std::string& identity);

  /// Where other workers send this one's pipes.
  media_worker::pipe_endpoint pipe_self() const {
    return worker_ ? worker_->pipe_self() : media_worker::pipe_endpoint{};
  }
  /// Sends `track_id` (every layer) into the pipe to `to`, once however
  /// often asked: what the worker at `to` needs to take it (pipe_in).
  protocol::result<piped_track> pipe_out(const std::string& track_id,
                                         const media_worker::pipe_endpoint& to);
  /// Takes `track_id`, published on another worker, from the pipe it
  /// comes through: subscribers here are served from it.
  protocol::error pipe_in(const std::string& track_id, const std::string& owner,
                          const piped_track& from);
  /// Published tracks and watched tracks (over every session).
  std::pair<uint32_t, uint32_t> counts() const;

private:
  struct published {
    std::string owner;
    media_worker::track_id track = 0;
    int layers = 1;
    uint32_t clock_rate = 90000;
    bool vp8 = false;
    /// Published on another worker, arriving through a pipe (peer 0):
    /// unpublishing removes the track, not the shared pipe.
    bool piped_in = false;
    std::vector<uint32_t> pipe_ssrcs;  // its streams on that pipe
    /// The pipes it is sent into, by the remote worker's "address:port":
    /// where, and what the remote worker was told.
    std::map<std::string, std::pair<media_worker::pipe_endpoint, piped_track>> pipes_out;
  };
  /// A member's subscribe session: the offer/answer model and, once its
  /// first answer came, its connection on the worker with a route per
  /// accepted track.
  struct watcher {
    subscribe_session model;
    uint64_t session = 0;
    uint64_t version = 0;  // of the last offer
    media_worker::peer_id peer = 0;
    struct watched {
      uint32_t ssrc = 0;  // what the session sends it as
      signal::Layer layer = signal::LAYER_UNSPECIFIED;
      bool routed = false;
    };
    std::map<std::string, watched> tracks;
    /// The SSRC each track had in the offer in flight: an answer routes a
    /// track only if it is still watched with that SSRC.
    std::map<std::string, uint32_t> offered;
  };
  /// A member's publish session: the offer/answer model, its connection
  /// (made by the first offer) and the track each sending section carries.
  struct publisher {
    publish_session model;
    media_worker::peer_id peer = 0;
    std::map<std::string, std::string> track_of;  // mid -> track id
  };
  /// The worker's description of what `stream` sends from `peer`, or why
  /// it cannot be forwarded.
  protocol::result<media_worker::track_params> track_params_of(const offered_stream& stream,
                                                               media_worker::peer_id peer,
                                                               const std::string& track_id) const;
  /// Serves `track_id` of `owner` as `tp` (track_params_of's) describes
  /// it (replacing what it was: watchers routed to it stay routed).
  void serve(const std::string& track_id, const std::string& owner, media_worker::track_params tp);
  media_worker::peer_params peer_params_for(const session_endpoint& ours,
                                            const session_remote& client, bool data_channels,
                                            const std::string& data_owner) const;
  /// Removes what a track holds on the worker.
  void release(const published& t);
  /// A protocol layer as an index into a track's layers (lowest first);
  /// unspecified means the best.
  static int layer_index(signal::Layer layer, int layers);

  std::shared_ptr<media_worker> worker_;
  /// This classroom's data channel group on the worker: what one member
  /// sends on a channel reaches the others' channels of that label.
  uint64_t data_group_;
  std::map<std::string, published> tracks_;
  std::map<std::string, watcher> watchers_;
  std::map<std::string, publisher> publishers_;  // by owner
  photo_handler on_photo_;
  speech_handler on_speech_;
  byte_meter meter_;
};

} // namespace lamplight::media
