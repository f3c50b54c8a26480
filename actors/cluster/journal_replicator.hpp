#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/cluster/cluster_actor.hpp"
#include "actors/base/messages.hpp"
#include "lamplight/signal/v1/photo.pb.h"

namespace lamplight::storage {
class photo_store;
}

namespace lamplight::actors {

/// One per node: keeps a copy of each of this node's classroom journals,
/// and of each homework photo stored here, on one other node, so that a
/// classroom outlives its node (see cluster_actor: the node holding the
/// replica is the one that rebuilds the classroom when its node dies).
///
/// Journals are shipped as the bytes of the file, by offset: a classroom
/// says how long its journal now is; the replicator sends what the replica
/// lacks, one request at a time per classroom (events written meanwhile go
/// with the next request), and the replica appends only at its own end, so
/// a lost or repeated request never leaves a gap or a duplicate. A new
/// replica node (membership changed) gets the whole file first. Replication
/// follows the local write: a node killed mid-request loses from its
/// replica only what it had not shipped yet (milliseconds of events).
///
/// Replicas live in data_dir/replica/<tenant>/<classroom>.journal, photos
/// in the replica node's own photo store (where its HTTP API serves them
/// once it holds the classroom).
using replicator_actor = replica_host_actor::extend<
  /// From a classroom here: its journal ("tenant/classroom") is now `size`
  /// bytes long; `last`: it was closed (forget it once replicated). The
  /// classroom's view of this is journal_sink_actor.
  caf::reacts_to<atoms::replicate, std::string, uint64_t, bool>,
  /// From this node's photo store: a photo it stored.
  caf::reacts_to<atoms::replicate, ::lamplight::signal::v1::PhotoRecord, std::string>,
  /// What peers send (atoms::store) is replica_host_actor's protocol
  /// (node_handles.hpp).
  /// Answers once every journal here is replicated, or after the timeout
  /// (the node stops: its replicas should be current when it leaves).
  caf::replies_to<atoms::flush>::with<caf::ok_atom>,
  /// How the journals stand (for status and metrics).
  caf::replies_to<caf::get_atom>::with<replication_status>,
  /// Own timer: retry what failed, follow replica-node changes.
  caf::reacts_to<atoms::timeout>>;

struct replicator_config {
  std::filesystem::path data_dir;
  /// Where peers' photos go (nullptr: photos are not kept here).
  std::shared_ptr<storage::photo_store> photos;
  /// Says which node holds a key's replica (atoms::replica).
  cluster_actor cluster;
  std::chrono::milliseconds retry_interval = std::chrono::milliseconds(1000);
  std::chrono::milliseconds flush_timeout = std::chrono::milliseconds(3000);
};

/// Largest chunk of journal shipped in one request.
inline constexpr uint64_t max_replica_chunk = 1024 * 1024;

/// data_dir/replica: the replicas this node holds for others.
std::filesystem::path replica_root(const std::filesystem::path& data_dir);

/// Spawned detached: it reads and fsyncs files.
replicator_actor spawn_replicator(caf::actor_system& sys, replicator_config cfg);

} // namespace lamplight::actors
