#pragma once

#include <map>
#include <memory>
#include <string>

#include "media/media_worker.hpp"
#include "protocol/errc.hpp"

namespace lamplight::actors {

/// The media side of a classroom's tracks: one peer connection per
/// published track (the publisher's) and one per subscription, on the
/// node's media worker, negotiated from the clients' SDP offers. The
/// classroom keeps the control state; this programs the forwarding plane
/// (routes from a publisher's SSRC to each subscriber) and never sees a
/// packet. Data channels ride on publishers' connections (a lamp offers
/// one with its first track); members who only watch (parents) have none.
class track_media {
public:
  explicit track_media(std::shared_ptr<media::media_worker> worker = nullptr);
  ~track_media();
  track_media(track_media&&) = default;
  track_media& operator=(track_media&&) = default;

  bool available() const { return worker_ != nullptr; }

  /// A publisher's offer for `track_id`; returns our answer.
  protocol::result<std::string> publish(const std::string& track_id, const std::string& owner,
                                        const std::string& offer_sdp);
  /// A subscriber's (recvonly) offer for `track_id`; returns our answer.
  protocol::result<std::string> subscribe(const std::string& track_id,
                                          const std::string& subscriber,
                                          const std::string& offer_sdp);
  void unsubscribe(const std::string& track_id, const std::string& subscriber);
  void unpublish(const std::string& track_id);
  /// Everything a member published or subscribed to.
  void drop_member(const std::string& identity);

private:
  struct published {
    std::string owner;
    media::media_worker::peer_id peer = 0;
    uint32_t ssrc = 0;
    std::map<std::string, media::media_worker::peer_id> subscribers;
  };
  struct negotiated {
    media::media_worker::peer_id peer;
    std::string answer;
  };
  protocol::result<negotiated> negotiate(const std::string& offer_sdp, uint32_t send_ssrc,
                                         const std::string& track_id, uint32_t* offered_ssrc,
                                         bool serve_data);

  std::shared_ptr<media::media_worker> worker_;
  /// This classroom's data channel group on the worker: what one member
  /// sends on a channel reaches the others' channels of that label.
  uint64_t data_group_;
  std::map<std::string, published> tracks_;
};

} // namespace lamplight::actors
