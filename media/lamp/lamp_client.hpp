#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lamplight/signal/v1/envelope.pb.h"
#include "media/lamp/media_clip.hpp"
#include "media/lamp/track_receiver.hpp"
#include "media/lamp/track_sender.hpp"
#include "protocol/errc.hpp"
#include "transport/data_channel.hpp"
#include "transport/rtc_peer.hpp"

namespace lamplight::media::lamp {

/// What a simulated lamp sends, encoded once and shared by every lamp of a
/// test or a bench run: the microphone and the two cameras.
struct lamp_media {
  std::shared_ptr<const media_clip> microphone;
  std::shared_ptr<const media_clip> face;
  std::shared_ptr<const media_clip> desk;

  /// `fps`: the cameras' frame rate (lamps send 15 to 30).
  static protocol::result<std::shared_ptr<const lamp_media>> make(int video_frames = 150,
                                                                  int fps = 30);
  std::shared_ptr<const media_clip> clip_for(signal::v1::TrackSource source) const;
};

struct lamp_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // the node's HTTP/WebSocket port
  /// Send media to this address instead of the answer's candidate: a relay
  /// that stands in for a network path in tests. Empty: direct.
  std::string media_via_ip;
  uint16_t media_via_port = 0;
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  /// libnice as a full ICE agent, as a lamp runs it; lite_check is one
  /// check of our own (cheaper, for load tests of many lamps).
  transport::rtc_peer::ice_mode ice = transport::rtc_peer::ice_mode::libnice;
  /// The lamp's own address for media (its ICE host candidate).
  std::string media_ip = "127.0.0.1";
  /// Offer data channels with the publish session's first offer.
  bool data_channels = true;
};

/// One track as the lamp sent or received it.
struct leg_report {
  std::string track_id;
  bool publishing = false;
  clip_kind kind = clip_kind::video;
  sender_stats sent;
  receiver_stats received;
};

/// A lamp in C++: signaling over a WebSocket in binary protobuf, as lamps
/// speak it; two WebRTC connections at most, its publish session (every
/// track it sends, and its data channels: the lamp offers) and its
/// subscribe session (every track it watches: the node offers), each with
/// ICE as the controlling agent (libnice by default), DTLS and SRTP;
/// replayed VP8/Opus clips out, decoded and checked media in; data
/// channels (SCTP over the publish session's DTLS). Signaling calls block
/// with deadlines on
/// the caller's thread; between them a thread of the client reads the
/// signaling socket (pongs for the node's pings, pushes kept for wait_for).
/// Media runs on a thread of its own, started by the first leg and stopped
/// by close() or the destructor.
class lamp_client {
public:
  lamp_client(std::shared_ptr<const lamp_media> media, lamp_options opts);
  ~lamp_client();
  lamp_client(const lamp_client&) = delete;
  lamp_client& operator=(const lamp_client&) = delete;

  /// Connects the WebSocket and joins with `token`.
  protocol::result<signal::v1::Joined> join(const std::string& token);
  /// The same with a whole Join (a registered lamp's DeviceLogin).
  protocol::result<signal::v1::Joined> join(const signal::v1::Join& j);
  /// Signaling through another node (the gateway died): a new WebSocket to
  /// `port` and a join with `token`, while the media legs go on (they run
  /// to the classroom's media node, not through the gateway).
  protocol::result<signal::v1::Joined> rejoin(uint16_t port, const std::string& token);
  /// Publishes the microphone or a camera: a new section of the publish
  /// session (its first offer connects it); returns the track id.
  protocol::result<std::string> publish(signal::v1::TrackSource source);
  /// Sends `to` instead of `from` on `from`'s section (the face camera
  /// for the desk camera): a renegotiation of the same connection, a new
  /// track for the others. not_found if `from` is not published.
  protocol::result<std::string> replace(signal::v1::TrackSource from, signal::v1::TrackSource to);
  /// Watches a track: it joins the lamp's one subscribe session (the node
  /// offers, the lamp answers; the first offer connects it). Returns the
  /// track id once the track is on the connected session. Tracks the node
  /// adds by itself (the other party of a call, a large class's teacher)
  /// are received without a call.
  protocol::result<std::string> subscribe(const signal::v1::TrackInfo& track,
                                          signal::v1::Layer layer = signal::v1::LAYER_UNSPECIFIED);
  /// The level the microphone's packets carry from now on (RFC 6464: 0-127
  /// dB below overload; 127, the start, is silence): the clips are
  /// pre-encoded, so this is what the firmware would have measured. The
  /// node judges who is speaking from it.
  void set_mic_level(uint8_t level);
  /// WebRTC connections this lamp holds: its publish session's and its
  /// subscribe session's (two at most).
  std::size_t media_connections() const;

  /// Sends a request and waits for the reply with its request id; an
  /// Error reply comes back as the error.
  protocol::result<signal::v1::ServerMessage> request(signal::v1::ClientMessage m);
  /// The first message (kept since the last join) matching `pred`, waiting
  /// up to `timeout` for it.
  std::optional<signal::v1::ServerMessage>
  wait_for(const std::function<bool(const signal::v1::ServerMessage&)>& pred,
           std::chrono::milliseconds timeout);

  /// Opens a data channel on the publish session's connection and waits
  /// (bounded) until the node acknowledged it; its stream id.
  protocol::result<uint16_t> open_channel(const std::string& label);
  /// Whether a channel with that label is open.
  bool has_channel(const std::string& label) const;
  /// Sends a string message on the channel with that label.
  protocol::result<bool> send_text(const std::string& label, const std::string& text);
  /// Sends a binary message; waits (bounded by the options' timeout) while
  /// SCTP's send buffer is full, so large transfers pace themselves.
  protocol::result<bool> send_binary(const std::string& label, const std::string& data);
  /// The next data channel message received (in order), waiting up to
  /// `timeout`.
  std::optional<transport::data_channel_message> next_message(std::chrono::milliseconds timeout);
  /// The next one on `label` (others stay for next_message).
  std::optional<transport::data_channel_message> next_message_on(const std::string& label,
                                                                 std::chrono::milliseconds timeout);

  std::vector<leg_report> report() const;
  /// Stops media and closes the WebSocket.
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace lamplight::media::lamp
