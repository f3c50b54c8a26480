#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/classroom_actor.hpp"
#include "actors/dispatcher_actor.hpp"
#include "actors/messages.hpp"
#include "media/worker_pool.hpp"

namespace lamplight::actors {

/// What classrooms and gateway sessions tell their directory as it happens,
/// for the node's metrics (a narrow view of directory_actor: they can do
/// nothing else with it). One message per counted event; none on the
/// packet path.
using tally_actor = caf::typed_actor<
  /// From a classroom: how one of its calls turned out.
  caf::reacts_to<atoms::tally, call_outcome>,
  /// From a gateway session: an Error it returned to its client.
  caf::reacts_to<atoms::tally, protocol::errc>>;

/// A node's directory of classrooms and per-tenant dispatchers; the actor
/// `lamplight-node` publishes for the shell. Keys are (tenant, classroom id):
/// nothing crosses tenants. On start it rebuilds every classroom whose journal
/// it finds under the data directory and that was not closed.
using directory_actor = caf::typed_actor<
  /// errc::already_exists, bad_request (empty ids, bad mode).
  caf::replies_to<atoms::create, classroom_spec>::with<classroom_actor>,
  /// For a join: the existing classroom, or a new one when the claims are a
  /// teacher's and carry a mode; else errc::classroom_not_found.
  /// In a cluster, the classroom's node opens it (the cluster actor knows
  /// which); its handle works from anywhere.
  caf::replies_to<atoms::open, protocol::token_claims>::with<classroom_actor>,
  /// The same, here and now, without asking the cluster: how one node's
  /// directory asks the classroom's own.
  caf::replies_to<atoms::open, protocol::token_claims, bool>::with<classroom_actor>,
  /// tenant, classroom id. errc::classroom_not_found.
  caf::replies_to<atoms::lookup, std::string, std::string>::with<classroom_actor>,
  /// tenant ("" for all): "tenant/classroom" names, sorted.
  caf::replies_to<atoms::list, std::string>::with<std::vector<std::string>>,
  /// tenant: its Q&A dispatcher (spawned on first use).
  caf::replies_to<atoms::dispatch, std::string>::with<dispatcher_actor>,
  /// Signs a join token with the node's secret (shell, Q&A dispatcher).
  caf::replies_to<atoms::token, protocol::token_claims>::with<std::string>,
  /// Classrooms (each asked for its members, 1 s at most; one that does not
  /// answer is listed with answered = false), media workers, and the
  /// tallies below, summed since the directory started: they survive the
  /// classrooms and sessions that reported them.
  caf::replies_to<atoms::status>::with<node_status>,
  caf::reacts_to<atoms::tally, call_outcome>,
  caf::reacts_to<atoms::tally, protocol::errc>,
  /// From the cluster actor: classroom "tenant/classroom" moved here (its
  /// node died or left); rebuild it from the replica this node holds.
  caf::reacts_to<atoms::adopt, std::string>,
  /// From the cluster actor, once the node knows the cluster's placements:
  /// rebuild this node's journals except these keys, which the cluster
  /// moved elsewhere while the node was away (their journals are set
  /// aside). A directory without a cluster rebuilds at start.
  caf::reacts_to<atoms::rebuild, std::vector<std::string>>,
  /// Drain: hand every classroom here over to the node that keeps its
  /// replica. Each is flushed and stopped (its participants look for it
  /// again, see spawn_participant), its replica brought up to date, and the
  /// cluster moves it (atoms::adopt on the cluster actor). Replies the
  /// classrooms moved; one that could not be is started here again.
  caf::replies_to<atoms::drain>::with<std::vector<std::string>>,
  /// Flush every journal (and wait, bounded, for their replicas), stop
  /// every classroom and dispatcher.
  caf::replies_to<atoms::shutdown>::with<caf::ok_atom>>;

struct directory_config {
  std::string node_name = "lamplight";
  /// Journals live in data_dir/journal/<tenant>/<classroom>.journal.
  std::filesystem::path data_dir = "lamplight-data";
  std::string token_secret;
  /// Lifetime of the tokens the node signs (shell bots, Q&A pairs).
  caf::timespan token_ttl = std::chrono::hours(2);
  participant_timeouts timeouts;
  caf::timespan absent_grace = std::chrono::seconds(30);
  caf::timespan flush_interval = std::chrono::milliseconds(200);
  /// The node's media workers; each new classroom is placed on one
  /// (nullptr: no media on this node).
  rtc_provider_config rtc;
  /// Homework photos of every classroom (nullptr: photos are refused).
  std::shared_ptr<photo_store> photos;
  /// The node's view of the cluster, for status (invalid: none).
  cluster_actor cluster;
  /// Ships journals to their replica node (invalid: none kept).
  replicator_actor replicator;
};

caf::expected<directory_actor> spawn_directory(caf::actor_system& sys, directory_config cfg);

/// Spawns a participant for `member` in `classroom` (any node). `dispatcher`
/// may be invalid (no Q&A). It joins on its first attach. With a
/// `directory`, a classroom whose node dies is looked for again through it
/// (the cluster rebuilds it elsewhere) and rejoined with the same seat;
/// without one, the participant ends with its classroom.
participant_actor spawn_participant(caf::actor_system& sys, protocol::token_claims member,
                                    classroom_actor classroom, dispatcher_actor dispatcher,
                                    participant_timeouts timeouts,
                                    directory_actor directory = {});

/// spawn_classroom for a directory: the classroom reports how each of its
/// calls turns out to `tally` (see tally_actor).
caf::expected<classroom_actor> spawn_classroom(caf::actor_system& sys, classroom_config cfg,
                                               tally_actor tally);

/// Spawns the Q&A dispatcher of `tenant`; it opens classrooms and signs tokens
/// through `directory`.
dispatcher_actor spawn_dispatcher(caf::actor_system& sys, std::string tenant,
                                  directory_actor directory);

} // namespace lamplight::actors
