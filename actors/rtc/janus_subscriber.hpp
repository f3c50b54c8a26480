#pragma once

// The subscriber side of the Janus provider (janus_room.cpp): every track a
// member watches rides one VideoRoom multistream subscriber handle, its
// subscribe session (rtc_room.hpp), renegotiated with Janus's "update"
// requests; and the registry of published feeds that a classroom's shards
// share, since a subscriber's shard is seldom its publisher's. Internal to
// the provider: no actor here, the shards drive it.
//
// Janus 1.1 VideoRoom, https://janus.conf.meetecho.com/docs/videoroom:
// a subscriber "join"s with a list of streams (feed, mid) and gets an
// offer; "start" carries every answer, the first and each renegotiation's;
// "update" adds and removes streams in one renegotiation (a removed or
// left stream's section goes inactive, and a later stream of the same
// kind may take it over); "configure" with a mid picks a simulcast
// substream or pauses a section without renegotiating.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "actors/rtc/rtc_room.hpp"
#include "transport/janus_client.hpp"

namespace lamplight::actors {

/// Every call to Janus has this deadline: a Janus that does not answer
/// makes typed errors (timeout, unavailable), never a hang.
inline constexpr std::chrono::seconds janus_timeout{5};

/// Janus's error as ours: code and message kept, starting "janus: ".
caf::error janus_error(const protocol::error& e);

/// Pieces of VideoRoom request bodies.
namespace janus_json {
google::protobuf::Value num(double v);
google::protobuf::Value str(const std::string& v);
google::protobuf::Value boolean(bool v);
/// {"request": name}
google::protobuf::Struct request(const std::string& name);
/// The member `key` of a reply's object, or nullptr.
const google::protobuf::Value* field(const google::protobuf::Struct& s, const std::string& key);
} // namespace janus_json

/// A published track's Janus publisher.
struct janus_feed {
  std::string owner;
  uint64_t handle = 0;  // the publisher's handle
  uint64_t feed = 0;    // its participant id in the room
  std::string mid;      // its media stream's mid; empty: unknown, the whole feed
};

/// What a classroom's shards share besides the Janus session: the feeds
/// published, by our track id, and what Janus said on its own about
/// handles ("webrtcup", "hangup"). Thread-safe: the shards and the Janus
/// client's reader thread use it at once.
class janus_registry {
public:
  void add(const std::string& track, janus_feed f);
  void remove(const std::string& track);
  std::optional<janus_feed> feed_of(const std::string& track) const;
  /// Janus restarted: its feeds and handles are gone with its session.
  void clear();

  /// Where the VideoRoom's "talking" and "stopped-talking" events go, as
  /// (track, speaking?, level): once per change of a track, however many
  /// of the room's handles Janus tells (it tells every publisher). Called
  /// on the client's reader thread: it must only hand over.
  using speech_handler = std::function<void(const std::string&, bool, uint8_t)>;
  void on_speech(speech_handler f);

  /// From the client's reader thread; never blocks.
  void on_event(const transport::janus_event& ev);
  /// Whether the handle's PeerConnection is up, waiting `timeout` at most.
  bool wait_up(uint64_t handle, std::chrono::milliseconds timeout);
  /// Whether Janus hung the handle's PeerConnection up.
  bool hung_up(uint64_t handle) const;
  /// A detached handle: nothing more to remember of it.
  void forget(uint64_t handle);

private:
  void on_talking(const transport::janus_event& ev);

  mutable std::mutex mtx_;
  std::condition_variable changed_;
  std::map<std::string, janus_feed> feeds_;
  std::set<std::string> talking_;  // tracks Janus last said are talking
  speech_handler on_speech_;
  std::set<uint64_t> up_;
  std::set<uint64_t> hung_up_;
};

/// The subscribe sessions of the members one shard serves (all of a
/// member's subscriptions reach the same shard). A session is one Janus
/// subscriber handle, made by the member's first track; its number
/// (SubscribeOffer.session) is the handle id, so a session Janus lost and
/// this side made again is a new session for the client too. Each offer
/// Janus makes goes to the member's sink; changes that come while an offer
/// waits for its answer wait too and make the next offer after it. Calls
/// block on Janus (each with the client's deadline).
class janus_subscribers {
public:
  using offer_fn = std::function<void(const offer_sink_actor&, signal::SubscribeOffer)>;

  janus_subscribers(std::shared_ptr<janus_registry> registry, uint64_t room, offer_fn send);

  /// The Janus session for the calls that follow (a new one after Janus
  /// restarted: clear() first).
  void use(std::shared_ptr<transport::janus_client> client) { client_ = std::move(client); }

  /// `track` (published, its PeerConnection up: the caller checked) into
  /// `who`'s session; a track already in it changes its layer only.
  caf::error subscribe(const std::string& track, const std::string& who, signal::Layer layer,
                       offer_sink_actor sink);
  /// The answer to the offer in flight: Janus "start"s with it, then
  /// what waited makes the next offer. wrong_state for another offer;
  /// bad_request when Janus refuses it (the session starts over: a new
  /// one, offered at once).
  caf::error answer(const std::string& who, const signal::SubscribeAnswer& a);
  void layer(const std::string& track, const std::string& who, signal::Layer layer);
  void unsub(const std::string& track, const std::string& who);
  /// The track leaves every session here that watched it.
  void unpublish(const std::string& track);
  /// These tracks were published again, maybe on another feed: the
  /// sessions here that watch one follow it (an update, if its feed or
  /// mid changed; nothing otherwise).
  void refeed(const std::vector<std::string>& tracks);
  /// `who`'s session ends (its handle detached).
  void drop(const std::string& who);
  /// Janus restarted: every handle went with it.
  void clear() { sessions_.clear(); }

  /// Whether `track` is in `who`'s session.
  bool watches(const std::string& who, const std::string& track) const {
    auto i = sessions_.find(who);
    return i != sessions_.end() && i->second.wanted.count(track) > 0;
  }
  /// Tracks watched, over every session.
  uint32_t watched() const;

private:
  struct section {
    std::string mid;  // ours, on the session's PeerConnection
    uint64_t feed = 0;
    std::string feed_mid;
  };
  struct session {
    offer_sink_actor sink;
    uint64_t handle = 0;     // 0: none in Janus (not yet, or no more)
    uint64_t version = 0;    // of the handle's last offer
    bool in_flight = false;  // that offer waits for its answer
    bool started = false;    // an answer was taken: ICE runs
    std::map<std::string, signal::Layer> wanted;  // what the member watches, by track
    std::map<std::string, section> live;          // what Janus's last offer sends, by track
  };
  using desired_feeds = std::map<std::string, janus_feed>;

  caf::error sync(session& s);
  desired_feeds desired(const session& s) const;
  caf::error open(session& s, const desired_feeds& want);
  caf::error update(session& s, const desired_feeds& want);
  caf::error take_offer(session& s, const transport::janus_reply& r, const desired_feeds& want);
  caf::error configure(const session& s, const google::protobuf::Value& stream);
  void reset(session& s);

  std::shared_ptr<janus_registry> registry_;
  const uint64_t room_;
  offer_fn send_;
  std::shared_ptr<transport::janus_client> client_;
  std::map<std::string, session> sessions_;  // by member identity
};

} // namespace lamplight::actors
