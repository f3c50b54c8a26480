#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lamplight/signal/v1/stream.pb.h"
#include "media/media_worker.hpp"
#include "media/sdp.hpp"
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
/// per published track (the publisher's) and one per subscription,
/// negotiated from the clients' SDP offers, and the worker's tracks and
/// routes (SSRCs or simulcast rids, a route per subscriber with its layer).
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

  /// A publisher's offer for `track_id`; returns our answer.
  protocol::result<std::string> publish(const std::string& track_id, const std::string& owner,
                                        const std::string& offer_sdp);
  /// A subscriber's (recvonly) offer for `track_id`, preferring simulcast
  /// `layer`; returns our answer.
  protocol::result<std::string> subscribe(const std::string& track_id,
                                          const std::string& subscriber,
                                          const std::string& offer_sdp,
                                          signal::Layer layer = signal::LAYER_UNSPECIFIED);
  /// Which simulcast layer `subscriber` wants; the worker switches at the
  /// layer's next key frame (which it asks for).
  void set_layer(const std::string& track_id, const std::string& subscriber, signal::Layer layer);
  void unsubscribe(const std::string& track_id, const std::string& subscriber);
  void unpublish(const std::string& track_id);
  /// Everything a member published or subscribed to.
  void drop_member(const std::string& identity);

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
  /// Published tracks and subscriber legs.
  std::pair<uint32_t, uint32_t> counts() const;

private:
  struct published {
    std::string owner;
    media_worker::peer_id peer = 0;
    media_worker::track_id track = 0;
    int layers = 1;
    std::map<std::string, media_worker::peer_id> subscribers;
    uint32_t clock_rate = 90000;
    bool vp8 = false;
    /// Published on another worker, arriving through a pipe (peer 0):
    /// unpublishing removes the track, not the shared pipe.
    bool piped_in = false;
    std::vector<uint32_t> pipe_ssrcs;  // its streams on that pipe
    /// The pipes it is sent into, by the remote worker's "address:port".
    std::map<std::string, piped_track> pipes_out;
  };
  struct negotiated {
    media_worker::peer_id peer;
    std::string answer;
    session_description offer;
  };
  /// `data_owner`: whose data channels the peer carries (publishers), or
  /// empty for none.
  protocol::result<negotiated> negotiate(const std::string& offer_sdp, uint32_t send_ssrc,
                                         const std::string& track_id,
                                         const std::string& data_owner);
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
  photo_handler on_photo_;
  byte_meter meter_;
};

} // namespace lamplight::media
