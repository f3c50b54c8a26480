#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"

namespace lamplight::actors {

/// Who a node is, as it introduces itself to the cluster.
struct member_info {
  std::string name;
  /// host:port of its client endpoint (WebSocket/HTTP) and of its cluster
  /// endpoint (the middleman port its cluster actor is published on).
  std::string http;
  std::string cluster;
  int64_t started_ms = 0;  // wall clock; a restarted node is a new incarnation
  /// Its directory (a directory_actor): where classrooms placed on it are
  /// opened from other nodes.
  caf::actor directory;
  /// Its journal replicator (a replicator_actor): where other nodes keep
  /// copies of their journals and photos.
  caf::actor replicator;
  /// Its media host (a media_host_actor), if it has the media role: where
  /// classrooms open legs for the members placed on it.
  caf::actor media;
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
           x.started_ms, x.directory, x.replicator, x.media, x.roles, x.draining);
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

struct cluster_config {
  member_info self;
  /// Cluster endpoints (host:port) to join through; empty: this node starts
  /// a cluster of its own, others join through it.
  std::vector<std::string> seeds;
  std::chrono::milliseconds heartbeat = std::chrono::milliseconds(500);
  /// Silent this long: suspect; this long: dead (unless CAF saw the
  /// connection drop first, which marks it dead at once).
  std::chrono::milliseconds suspect_after = std::chrono::milliseconds(2000);
  std::chrono::milliseconds dead_after = std::chrono::milliseconds(5000);
  /// This node's media load (peers on its workers), sent with heartbeats.
  std::function<uint32_t()> media_load;
};

/// One per node: the node's view of cluster membership. Nodes find each
/// other through seeds (a join is answered with the members the seed knows,
/// who are then greeted in turn), keep each other informed with heartbeats,
/// and monitor each other's cluster actors, so that a node whose process
/// dies (its middleman connection drops) is marked dead at once, and one
/// that hangs is marked suspect, then dead, by silence. A node that stops
/// cleanly says goodbye (left). A restarted node (same name, later
/// started_ms) replaces its old incarnation.
///
/// Placement: every classroom lives on one node, the one whose directory
/// created it (or rebuilt it from its journal). Nodes announce their
/// classrooms to each other ("tenant/classroom" -> node name), so any node
/// finds a classroom's directory; a new classroom goes to the alive node
/// with the highest rendezvous hash (HRW) of its key and the node's name,
/// which every node computes alike, among those with the room role that
/// are not draining ("eligible").
///
/// Replicas and node death: a classroom's journal (and its photos) is
/// replicated to the eligible node, other than its own, with the highest
/// weight for its key (see replicator_actor). When a node dies or leaves,
/// every member moves its classrooms, in its own table, to the eligible
/// node with the highest weight among those left: the one that held the
/// replica, so no election is needed. That node's directory rebuilds them
/// from the replica (told by its cluster actor, or on the first open that
/// reaches it). Only with no eligible node left is a classroom unavailable.
/// A restarted node rebuilds from its own journals only the classrooms the
/// cluster has not moved elsewhere meanwhile (atoms::rebuild).
using cluster_actor = caf::typed_actor<
  /// A node introduces itself with its handle and the classrooms it holds
  /// ("key=node"); replies this node's info, every member it knows (not
  /// dead or left), so the newcomer can greet them, and every placement.
  caf::replies_to<atoms::join, member_info, caf::actor, std::vector<std::string>>::with<
    member_info, std::vector<member_info>, std::vector<std::string>>,
  /// Where classroom `key` is, or goes: that node's directory (this node's
  /// own when it is here or should be). errc::unavailable if its node is
  /// not alive.
  caf::replies_to<atoms::lookup, std::string>::with<caf::actor>,
  /// Which node keeps the replica of this node's classroom `key`: its name
  /// and replicator. errc::unavailable if no other node is eligible.
  caf::replies_to<atoms::replica, std::string>::with<std::string, caf::actor>,
  /// key, node name: a classroom placed (from a node's directory for its
  /// own, passed on to every member; or from a member).
  caf::reacts_to<atoms::create, std::string, std::string>,
  /// From this node's directory, handing classroom `key` over (drain): it
  /// goes to the node that keeps its replica, now up to date; every member
  /// learns it, and that node's directory rebuilds it. Replies the node.
  /// errc::unavailable if no other node is eligible.
  caf::replies_to<atoms::adopt, std::string>::with<std::string>,
  /// From a member: still here (name, started_ms, draining, media load).
  caf::reacts_to<atoms::beat, std::string, int64_t, bool, uint32_t>,
  /// Where a member's media goes: the node `near` (caf::to_string of a
  /// node_id: its participant's) if it is a media node, else the least
  /// loaded alive media node that is not draining nor in `exclude`. Its
  /// name and media host; errc::unavailable if there is none.
  caf::replies_to<atoms::place, std::string, std::vector<std::string>>::with<std::string,
                                                                             caf::actor>,
  /// Drain this node: no new classrooms here (told to every member with
  /// the next heartbeat); false: take them again.
  caf::replies_to<atoms::drain, bool>::with<caf::ok_atom>,
  /// From a member that stops.
  caf::reacts_to<atoms::leave, std::string, int64_t>,
  /// The membership table, this node first, then by name.
  caf::replies_to<caf::get_atom>::with<std::vector<member_view>>,
  /// This node stops: tell everyone, then quit.
  caf::replies_to<atoms::shutdown>::with<caf::ok_atom>,
  /// The node listens: its endpoints are known (`http`, `cluster`); greet
  /// the seeds now. Before it, the actor answers but joins nothing.
  caf::reacts_to<atoms::open, member_info>,
  /// Own timer: heartbeat and silence check; a seed to (re)try.
  caf::reacts_to<atoms::timeout>,
  caf::reacts_to<atoms::retry, std::string>>;

/// Spawns the node's cluster actor. Once told the node's endpoints
/// (atoms::open) it greets the seeds itself, retrying every second while
/// none answers, through `sys`'s middleman.
cluster_actor spawn_cluster(caf::actor_system& sys, cluster_config cfg);

} // namespace lamplight::actors
