#pragma once

// Message payload types of lamplight's actor protocols and their CAF
// inspectors. Everything an actor sends is serializable, so any actor can
// live on any node. Plain data only: no actor handle and no actor header
// here, so every actor header can include this one (handles that travel
// with a payload are in the protocol of the actor that sends them).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/timespan.hpp>
#include <google/protobuf/message.h>

#include "lamplight/signal/v1/envelope.pb.h"
#include "lamplight/signal/v1/photo.pb.h"
#include "media/media_worker.hpp"
#include "media/track_media.hpp"
#include "protocol/call_machine.hpp"
#include "protocol/token.hpp"

namespace lamplight::signal::v1 {

/// Any protobuf message travels as its wire bytes: the schema is the contract
/// between nodes, and CAF needs no field list.
template <class Inspector, class T>
std::enable_if_t<std::is_base_of<google::protobuf::Message, T>::value,
                 typename Inspector::result_type>
inspect(Inspector& f, T& x) {
  std::string bytes;
  if (Inspector::reads_state)
    x.SerializeToString(&bytes);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (!x.ParseFromString(bytes))
      return caf::make_error(caf::sec::invalid_argument, "malformed protobuf");
    return caf::none;
  });
  return f(caf::meta::type_name(T::descriptor()->full_name().c_str()), bytes, load);
}

} // namespace lamplight::signal::v1

namespace lamplight::protocol {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_claims& x) {
  return f(caf::meta::type_name("lamplight.token_claims"), x.tenant, x.classroom,
           x.identity, x.display_name, x.role, x.child, x.mode, x.provider,
           x.expires_at);
}

} // namespace lamplight::protocol

namespace lamplight::media {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_worker::pipe_endpoint& x) {
  return f(caf::meta::type_name("lamplight.pipe_endpoint"), x.address, x.port, x.nonce, x.key_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, piped_track& x) {
  return f(caf::meta::type_name("lamplight.piped_track"), x.from, x.ssrcs, x.clock_rate, x.vp8);
}

} // namespace lamplight::media

namespace lamplight::actors {

namespace signal = lamplight::signal::v1;

/// Timers an actor sets on itself; part of its typed interface because CAF
/// delivers them as ordinary messages. `generation` lets a handler ignore a
/// timer that was superseded (restarted or cancelled) after it was set.
enum class timer_kind : uint8_t {
  ring,             // participant: ring timer of a call
  media_setup,      // participant: media-setup timer of a call
  device_deadline,  // participant: deadline of a device command
  reconnect_grace,  // participant: session lost, seat kept this long
  absent_member,    // classroom: member without a live participant after a rebuild
  journal_flush,    // classroom: periodic fdatasync of the journal
  speakers,         // classroom: who speaks is told to its clients
  join_deadline,    // gateway session: a connection that never joins is closed
};
const char* to_string(timer_kind x);

/// Timeouts of the call, device and session state machines.
struct participant_timeouts {
  caf::timespan ring = std::chrono::seconds(30);
  caf::timespan media_setup = std::chrono::seconds(20);
  caf::timespan reconnect_grace = std::chrono::seconds(10);
  caf::timespan device_deadline = std::chrono::seconds(10);
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, participant_timeouts& x) {
  return f(caf::meta::type_name("lamplight.participant_timeouts"), x.ring, x.media_setup,
           x.reconnect_grace, x.device_deadline);
}

/// Arguments of creating a classroom.
struct classroom_spec {
  std::string tenant;
  std::string classroom_id;
  signal::ClassroomMode mode = signal::MODE_SMALL_GROUP;
  uint32_t capacity = 0;  // 0: the mode's default
  /// Media provider ("sfu", "janus"); empty: the node's default.
  std::string provider = {};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, classroom_spec& x) {
  return f(caf::meta::type_name("lamplight.classroom_spec"), x.tenant, x.classroom_id,
           x.mode, x.capacity, x.provider);
}

/// How a call turned out, as a node's metrics count it: `connected` once
/// when both sides' media came up, and once more with how it ended (the
/// CallEndReason values). Attempts the classroom refused because the callee
/// was busy or not connected count as busy and failed: the caller's call
/// ends that way.
enum class call_outcome : uint8_t {
  connected,
  rejected,
  cancelled,
  busy,
  ring_timeout,
  media_timeout,
  hangup,
  peer_dropped,
  failed,
};
inline constexpr std::size_t call_outcome_count = 9;
const char* to_string(call_outcome x);

/// How a call that ended for reason `r` (not none) counts: the outcomes
/// after `connected` are the end reasons, in their order.
constexpr call_outcome outcome_of(protocol::call_end_reason r) {
  return static_cast<call_outcome>(static_cast<uint8_t>(r));
}
static_assert(outcome_of(protocol::call_end_reason::rejected) == call_outcome::rejected
              && outcome_of(protocol::call_end_reason::failed) == call_outcome::failed
              && static_cast<std::size_t>(call_outcome::failed) + 1 == call_outcome_count);

/// One classroom as a node's status lists it.
struct classroom_status {
  std::string tenant;
  std::string classroom_id;
  signal::ClassroomMode mode = signal::MODE_UNSPECIFIED;
  uint32_t members = 0;
  uint32_t online = 0;
  uint32_t tracks = 0;
  bool answered = false;  // false: it did not answer the status request in time
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, classroom_status& x) {
  return f(caf::meta::type_name("lamplight.classroom_status"), x.tenant, x.classroom_id,
           x.mode, x.members, x.online, x.tracks, x.answered);
}

/// One media worker of a node: its UDP port and the peers it holds.
struct media_worker_status {
  uint16_t port = 0;
  uint32_t peers = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_worker_status& x) {
  return f(caf::meta::type_name("lamplight.media_worker_status"), x.port, x.peers);
}

/// Who a node is, as it introduces itself to the cluster. Its actors'
/// handles travel beside it (cluster_actor.hpp: node_handles).
struct member_info {
  std::string name;
  /// host:port of its client endpoint (WebSocket/HTTP) and of its cluster
  /// endpoint (the middleman port its cluster actor is published on).
  std::string http;
  std::string cluster;
  int64_t started_ms = 0;  // wall clock; a restarted node is a new incarnation
  /// "gateway" (takes clients' WebSockets), "room" (holds classrooms),
  /// "media" (media workers: members' media, and pipes between nodes);
  /// all-in-one nodes have all three.
  std::vector<std::string> roles = {"gateway", "room", "media"};
  /// Takes no new classrooms (its own go on until they close).
  bool draining = false;

  bool has_role(const std::string& r) const {
    for (const auto& x : roles)
      if (x == r)
        return true;
    return false;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("lamplight.member_info"), x.name, x.http, x.cluster,
           x.started_ms, x.roles, x.draining);
}

/// A member's state as this node sees it: alive (heard within the suspect
/// time), suspect (silent longer), dead (its connection dropped, CAF's
/// monitor said so, or silent past the dead time), left (said goodbye).
enum class member_state : uint8_t { alive, suspect, dead, left };

const char* to_string(member_state x);

/// One row of the membership table.
struct member_view {
  member_info info;
  member_state state = member_state::alive;
  int64_t silent_ms = 0;  // since it was last heard from (0 for this node)
  bool self = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_view& x) {
  return f(caf::meta::type_name("lamplight.member_view"), x.info, x.state, x.silent_ms, x.self);
}

/// A media room's counters, for operators and tests.
struct rtc_room_stats {
  std::string provider;
  uint32_t publishers = 0;     // published tracks with a media leg
  uint32_t subscriptions = 0;  // subscriber legs (negotiated or waiting for an answer)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rtc_room_stats& x) {
  return f(caf::meta::type_name("lamplight.rtc_room_stats"), x.provider, x.publishers,
           x.subscriptions);
}

/// How this node's journals stand with their replicas (journal_replicator).
struct replication_status {
  uint32_t journals = 0;        // this node's journals it follows
  uint32_t current = 0;         // fully replicated
  uint32_t without_replica = 0; // no other node can keep one (yet)
  uint64_t behind_bytes = 0;    // written here, not yet on the replica
  uint32_t photos_pending = 0;  // stored here, not yet on the replica node
  uint64_t shipped_bytes = 0;   // journal bytes the replica nodes took, since start
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replication_status& x) {
  return f(caf::meta::type_name("lamplight.replication_status"), x.journals, x.current,
           x.without_replica, x.behind_bytes, x.photos_pending, x.shipped_bytes);
}

/// What a node reports about itself (shell `status`, health endpoint,
/// /metrics and /admin/status). The counters count since the node started.
struct node_status {
  std::string node_name;
  std::string data_dir;
  uint32_t classrooms = 0;
  uint32_t members = 0;
  uint32_t online = 0;
  int64_t uptime_s = 0;
  uint32_t tracks = 0;
  std::vector<classroom_status> rooms;  // in "tenant/classroom" order
  std::vector<media_worker_status> media_workers;
  /// Indexed by call_outcome.
  std::vector<uint64_t> call_outcomes = std::vector<uint64_t>(call_outcome_count);
  /// Errors returned to clients, indexed by protocol::errc.
  std::vector<uint64_t> requests_failed;
  /// Cluster membership as this node sees it (this node first); empty
  /// without a cluster actor.
  std::vector<member_view> cluster;
  replication_status replication;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("lamplight.node_status"), x.node_name, x.data_dir,
           x.classrooms, x.members, x.online, x.uptime_s, x.tracks, x.rooms, x.media_workers,
           x.call_outcomes, x.requests_failed, x.cluster, x.replication);
}

} // namespace lamplight::actors
