#pragma once

// What the members of a cluster know of each other's actors: the narrow
// protocols one node's actors speak to another's, and the handles a node
// introduces itself with. Narrow on purpose: the directory, the replicator
// and the cluster actor include cluster_actor.hpp for their own needs, so
// these views of them live below it.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/classroom/classroom_actor.hpp"
#include "actors/rtc/media_host.hpp"

namespace lamplight::actors {

/// A node's directory as the cluster sees it (directory_actor has more).
using room_host_actor = caf::typed_actor<
  /// For a join that another node's directory routed here (the cluster
  /// placed the classroom on this node): the classroom, opened or created
  /// here and now without asking the cluster again.
  caf::replies_to<atoms::open, protocol::token_claims, bool>::with<classroom_actor>,
  /// Classroom "tenant/classroom" moved here (its node died or left, or
  /// handed it over): rebuild it from the replica this node holds.
  caf::reacts_to<atoms::adopt, std::string>,
  /// From this node's cluster actor, once it knows the cluster's
  /// placements: rebuild this node's own journals except these keys, which
  /// the cluster moved elsewhere while the node was away.
  caf::reacts_to<atoms::rebuild, std::vector<std::string>>>;

/// A node's journal replicator as its peers see it (replicator_actor has
/// more): where they keep copies of their journals and photos.
using replica_host_actor = caf::typed_actor<
  /// Bytes of a peer's journal `key` from `offset` (`reset`: the replica
  /// starts over with them). Replies how many bytes the replica holds now.
  /// errc::bad_request for a bad key or oversized chunk.
  caf::replies_to<atoms::store, std::string, uint64_t, std::string, bool>::with<uint64_t>,
  /// One of a peer's photos to keep.
  caf::replies_to<atoms::store, signal::PhotoRecord, std::string>::with<caf::ok_atom>>;

/// A member's cluster actor as the others see it once they know each other
/// (cluster_actor has more: a newcomer joins through atoms::join).
using cluster_peer_actor = caf::typed_actor<
  /// key, node name: a classroom placed (from a node's directory for its
  /// own, passed on to every member; or from a member).
  caf::reacts_to<atoms::placed, std::string, std::string>,
  /// Still here (name, started_ms, draining, media load).
  caf::reacts_to<atoms::beat, std::string, int64_t, bool, uint32_t>,
  /// A member that stops (name, started_ms).
  caf::reacts_to<atoms::leave, std::string, int64_t>>;

/// The actors a node introduces itself with. `media` only with the media
/// role; `directory` and `replicator` on every node.
struct node_handles {
  cluster_peer_actor cluster;
  room_host_actor directory;
  replica_host_actor replicator;
  media_host_actor media;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_handles& x) {
  return f(caf::meta::type_name("lamplight.node_handles"), x.cluster, x.directory, x.replicator,
           x.media);
}

} // namespace lamplight::actors
