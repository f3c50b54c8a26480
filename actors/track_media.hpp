#pragma once

#include <map>
#include <memory>
#include <string>

#include "lamplight/signal/v1/stream.pb.h"
#include "actors/photo_receiver.hpp"
#include "media/media_worker.hpp"
#include "media/sdp.hpp"
#include "protocol/errc.hpp"

namespace lamplight::actors {

namespace signal = lamplight::signal::v1;

/// The media side of a classroom's tracks: one peer connection per
/// published track (the publisher's) and one per subscription, on the
/// node's media worker, negotiated from the clients' SDP offers. The
/// classroom keeps the control state; this programs the forwarding plane
/// (a track per published offer, its SSRC or simulcast rids, and a route
/// per subscriber with its preferred layer) and never sees a packet. Data channels ride on publishers' connections (a lamp offers
/// one with its first track); members who only watch (parents) have none.
class track_media {
public:
  explicit track_media(std::shared_ptr<media::media_worker> worker = nullptr);
  ~track_media();
  track_media(track_media&&) = default;
  track_media& operator=(track_media&&) = default;

  bool available() const { return worker_ != nullptr; }

  /// Where the photo channel messages of publishers' connections go.
  void set_photo_receiver(photo_receiver_actor r) { photos_ = std::move(r); }

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
  /// Published tracks and subscriber legs.
  std::pair<uint32_t, uint32_t> counts() const;

private:
  struct published {
    std::string owner;
    media::media_worker::peer_id peer = 0;
    media::media_worker::track_id track = 0;
    int layers = 1;
    std::map<std::string, media::media_worker::peer_id> subscribers;
  };
  struct negotiated {
    media::media_worker::peer_id peer;
    std::string answer;
    media::session_description offer;
  };
  /// `data_owner`: whose data channels the peer carries (publishers), or
  /// empty for none.
  protocol::result<negotiated> negotiate(const std::string& offer_sdp, uint32_t send_ssrc,
                                         const std::string& track_id,
                                         const std::string& data_owner);
  /// A protocol layer as an index into a track's layers (lowest first);
  /// unspecified means the best.
  static int layer_index(signal::Layer layer, int layers);

  std::shared_ptr<media::media_worker> worker_;
  /// This classroom's data channel group on the worker: what one member
  /// sends on a channel reaches the others' channels of that label.
  uint64_t data_group_;
  std::map<std::string, published> tracks_;
  photo_receiver_actor photos_;
};

} // namespace lamplight::actors
