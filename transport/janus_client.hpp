#pragma once

// A client of the Janus WebSocket API (one session per client), see
// https://janus.conf.meetecho.com/docs/rest.html, "WebSockets". One reader
// thread owns the socket: it hands each reply to the caller waiting on its
// transaction and everything else to on_event; writes are queued on that
// thread, so the public calls may come from any thread at once. Every call
// has a deadline, and all of them fail with errc::unavailable as soon as the
// socket closes, so a vanished Janus never hangs a caller.
//
// Setting LAMPLIGHT_JANUS_TRACE=1 in the environment prints every frame in
// and out on stderr.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "protocol/errc.hpp"

namespace lamplight::transport {

/// A plugin's answer to a message: plugindata.data, and the JSEP if any.
struct janus_reply {
  google::protobuf::Struct data;
  std::string jsep_type; // "offer" | "answer" | empty
  std::string jsep_sdp;
};

/// Something Janus said on its own about a handle: "webrtcup", "media",
/// "hangup", "slowlink", "detached", or a plugin "event" that answers no
/// transaction of ours. `message` is the whole JSON object. Session-wide
/// notices ("timeout") come with handle 0. The plugin's answer to a message
/// whose caller already timed out also comes here (kind "event", with its
/// "transaction"), since Janus did act on it.
struct janus_event {
  uint64_t handle = 0;
  std::string kind; // the "janus" field
  google::protobuf::Struct message;
};

/// One entry of a VideoRoom "streams" list (Janus 1.x multistream, see
/// https://janus.conf.meetecho.com/docs/videoroom): a publisher's streams
/// in the event answering its publish, or a subscriber's m-sections in
/// "attached" (its join) and "updated" (subscribe, unsubscribe, update).
struct videoroom_stream {
  std::string mid;       // the section's mid on this handle's PeerConnection
  std::string type;      // "audio" | "video" | "data"
  bool active = true;    // subscriber: some publisher feeds it (false: inactive section)
  bool disabled = false; // publisher: the stream is disabled
  uint64_t feed_id = 0;  // subscriber: the publisher that feeds it
  std::string feed_mid;  // subscriber: that publisher's mid for the stream
};

/// data["streams"] of a VideoRoom event, in order; empty without one.
std::vector<videoroom_stream> videoroom_streams(const google::protobuf::Struct& data);

/// Which of a subscriber's sections carry a stream named in `names` now:
/// (section mid, name) for each active audio or video section whose
/// publisher stream (feed id, feed mid) has a name, in section order. A
/// name keyed with an empty feed mid names every stream of its feed.
/// Inactive sections (their publisher left or was unsubscribed), data
/// sections and unnamed feeds are left out.
std::vector<std::pair<std::string, std::string>>
named_sections(const std::vector<videoroom_stream>& streams,
               const std::map<std::pair<uint64_t, std::string>, std::string>& names);

class janus_client {
public:
  janus_client();
  /// Destroys the session (bounded wait), closes, joins its thread.
  ~janus_client();
  janus_client(const janus_client&) = delete;
  janus_client& operator=(const janus_client&) = delete;

  /// Connects ws://host:port/ with subprotocol janus-protocol, creates a
  /// session, and starts keepalives (every 25 s, bounded). Once per client
  /// (one session each; after a failure, make a new client): a second call
  /// fails with errc::wrong_state. errc::unavailable when refused,
  /// errc::timeout at the deadline.
  protocol::result<bool> connect(const std::string& host, uint16_t port,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Attaches a plugin ("janus.plugin.videoroom"); the handle id.
  protocol::result<uint64_t> attach(const std::string& plugin,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends a plugin message (with a JSEP when jsep_type is not empty) and
  /// waits for the plugin's answer: the synchronous "success" with
  /// plugindata, or, after an "ack", the asynchronous "event" with the same
  /// transaction. A Janus "error", or plugindata.data with
  /// "error_code"/"error", comes back as errc::bad_request whose message
  /// includes Janus's code and reason; errc::unavailable when the connection
  /// is gone, errc::timeout at the deadline.
  protocol::result<janus_reply>
  message(uint64_t handle, const google::protobuf::Struct& body, const std::string& jsep_type = "",
          const std::string& jsep_sdp = "",
          std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Tells Janus that no more candidates come for that handle
  /// ({"completed":true}).
  protocol::result<bool>
  trickle_completed(uint64_t handle, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Hangs up the handle's PeerConnection / detaches it; bounded, errors
  /// ignored once the connection is gone. From on_event they do not wait.
  void hangup(uint64_t handle);
  void detach(uint64_t handle);

  /// Called on the client's own reader thread for every janus_event; set
  /// before connect. It must not block: the calls above that wait for an
  /// answer fail with errc::wrong_state when made from it (the answer could
  /// only arrive on the very thread that waits).
  void on_event(std::function<void(const janus_event&)> f);

  bool connected() const;
  uint64_t session_id() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace lamplight::transport
