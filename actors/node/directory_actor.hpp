#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/classroom/classroom_actor.hpp"
#include "backend/classroom_registry.hpp"
#include "actors/classroom/dispatcher_actor.hpp"
#include "actors/cluster/cluster_actor.hpp"
#include "actors/cluster/journal_replicator.hpp"
#include "actors/cluster/node_handles.hpp"
#include "media/worker_pool.hpp"

namespace lamplight::actors {

/// A node's directory of classrooms and per-tenant dispatchers; the actor
/// `lamplight-node` publishes for the shell. Keys are (tenant, classroom id):
/// nothing crosses tenants. It rebuilds every classroom whose journal it
/// finds under the data directory and that was not closed (at start, or
/// once the cluster says which are still its own: atoms::rebuild).
///
/// Narrow views of it: room_host_actor (what the cluster and other nodes'
/// directories ask, node_handles.hpp: open here and now, adopt, rebuild),
/// classroom_locator_actor (participants), qna_directory_actor (Q&A
/// dispatchers) and call_tally_actor (classrooms).
using directory_actor = room_host_actor::extend<
  // -- classrooms ----------------------------------------------------------------
  /// errc::already_exists, bad_request (empty ids, bad mode).
  caf::replies_to<atoms::create, classroom_spec>::with<classroom_actor>,
  /// For a join: the existing classroom, or a new one when the claims are a
  /// teacher's and carry a mode; else errc::classroom_not_found.
  /// In a cluster, the classroom's node opens it (the cluster actor knows
  /// which); its handle works from anywhere.
  caf::replies_to<atoms::open, protocol::token_claims>::with<classroom_actor>,
  /// tenant, classroom id. errc::classroom_not_found.
  caf::replies_to<atoms::lookup, std::string, std::string>::with<classroom_actor>,
  /// tenant ("" for all): "tenant/classroom" names, sorted.
  caf::replies_to<atoms::list, std::string>::with<std::vector<std::string>>,
  /// tenant: its Q&A dispatcher (spawned on first use).
  caf::replies_to<atoms::dispatch, std::string>::with<dispatcher_actor>,
  /// Signs a join token with the node's secret (shell, Q&A dispatcher).
  caf::replies_to<atoms::token, protocol::token_claims>::with<std::string>,

  // -- status and metrics ------------------------------------------------------------
  /// Classrooms (each asked for its members, 1 s at most; one that does not
  /// answer is listed with answered = false), media workers, and the
  /// tallies below, summed since the directory started: they survive the
  /// classrooms and sessions that reported them.
  caf::replies_to<atoms::status>::with<node_status>,
  /// From a classroom: how one of its calls turned out.
  caf::reacts_to<atoms::tally, call_outcome>,
  /// From a gateway session: an Error it returned to its client.
  caf::reacts_to<atoms::tally, protocol::errc>,

  // -- the node stops or drains ----------------------------------------------------
  /// Drain: hand every classroom here over to the node that keeps its
  /// replica. Each is flushed and stopped (its participants look for it
  /// again through their locator), its replica brought up to date, and the
  /// cluster moves it (atoms::handover on the cluster actor). Replies the
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
  std::shared_ptr<storage::photo_store> photos;
  /// The node's view of the cluster, for status (invalid: none).
  cluster_actor cluster;
  /// Ships journals to their replica node (invalid: none kept).
  replicator_actor replicator;
  /// The tenants' history and webhooks (nullptr: none kept).
  std::shared_ptr<backend::history_writer> history;
  /// Classrooms the tenants scheduled: a classroom with a record starts
  /// as the record says (nullptr: every classroom starts from its token).
  std::shared_ptr<backend::classroom_registry> scheduled;
};

caf::expected<directory_actor> spawn_directory(caf::actor_system& sys, directory_config cfg);

} // namespace lamplight::actors
