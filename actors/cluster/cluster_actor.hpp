#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/cluster/node_handles.hpp"
#include "actors/rtc/media_placer.hpp"

namespace lamplight::actors {

struct cluster_config {
  member_info self;
  /// This node's actors, introduced to the others: the cluster actor
  /// itself from the start, the others told with atoms::listen (they need
  /// the cluster actor first).
  node_handles handles;
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
///
/// What members send each other is cluster_peer_actor's protocol
/// (node_handles.hpp); where a member's media goes, media_placer_actor's.
using cluster_actor = cluster_peer_actor::extend_with<media_placer_actor>::extend<
  /// A node introduces itself with its actors and the classrooms it holds
  /// ("key=node"); replies this node's info and actors, every member it
  /// knows (not dead or left), so the newcomer can greet them, and every
  /// placement.
  caf::replies_to<atoms::join, member_info, node_handles, std::vector<std::string>>::with<
    member_info, node_handles, std::vector<member_info>, std::vector<std::string>>,
  /// Where classroom `key` is, or goes: that node's directory (this node's
  /// own when it is here or should be). errc::unavailable if its node is
  /// not alive.
  caf::replies_to<atoms::lookup, std::string>::with<room_host_actor>,
  /// Which node keeps the replica of this node's classroom `key`: its name
  /// and replicator. errc::unavailable if no other node is eligible.
  caf::replies_to<atoms::replica, std::string>::with<std::string, replica_host_actor>,
  /// From this node's directory, handing classroom `key` over (drain): it
  /// goes to the node that keeps its replica, now up to date; every member
  /// learns it, and that node's directory rebuilds it. Replies the node.
  /// errc::unavailable if no other node is eligible.
  caf::replies_to<atoms::handover, std::string>::with<std::string>,
  /// Drain this node: no new classrooms here (told to every member with
  /// the next heartbeat); false: take them again.
  caf::replies_to<atoms::draining, bool>::with<caf::ok_atom>,
  /// The membership table, this node first, then by name.
  caf::replies_to<caf::get_atom>::with<std::vector<member_view>>,
  /// This node stops: tell everyone, then quit.
  caf::replies_to<atoms::shutdown>::with<caf::ok_atom>,
  /// The node listens: its endpoints (`http`, `cluster`) and its actors
  /// are known; greet the seeds now. Before it, the actor answers but joins
  /// nothing.
  caf::reacts_to<atoms::listen, member_info, node_handles>,
  /// Own timer: heartbeat and silence check; a seed to (re)try.
  caf::reacts_to<atoms::timeout>,
  caf::reacts_to<atoms::retry, std::string>>;

/// Spawns the node's cluster actor. Once told the node's endpoints
/// (atoms::listen) it greets the seeds itself, retrying every second while
/// none answers, through `sys`'s middleman.
cluster_actor spawn_cluster(caf::actor_system& sys, cluster_config cfg);

} // namespace lamplight::actors
