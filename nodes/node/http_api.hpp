#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/node/directory_actor.hpp"
#include "storage/photo_store.hpp"
#include "media/worker_pool.hpp"
#include "nodes/node/api_response.hpp"
#include "nodes/node/config.hpp"
#include "nodes/node/metrics.hpp"
#include "transport/websocket_server.hpp"

namespace lamplight::node {

/// The node's own HTTP endpoints (everything else is the web clients' files):
///   GET /healthz     200 with the node's status as JSON; 503 while shutting
///                    down or when the directory does not answer in 2 s.
///   GET /metrics     the Prometheus text exposition (format 0.0.4) of the
///                    node's classrooms, calls, errors, media workers and
///                    process; answered within 2 s (503 if the directory
///                    does not answer; a stalled media worker shows its
///                    last counters).
///   GET /admin/status the same facts as JSON for operators (classrooms with
///                    tenant, id, mode and member counts; media workers with
///                    port and peers); loopback clients only unless
///                    --admin-bind-any, 404 otherwise.
///   GET /dev/token   ?tenant=&classroom=&identity=&role=[&mode=&child=&name=&ttl=]
///                    a signed join token as text, for loopback clients when
///                    dev tokens are enabled (demos, tests); 404 otherwise.
///   GET /photos/<id> ?token=<join token> (or Authorization: Bearer <token>)
///                    a stored homework photo (image/jpeg) for the teachers
///                    and assistants of the classroom it was taken in, and
///                    the parent of the child who took it; 401 without a
///                    valid token, 403 for anyone else, 404 if unknown.
///   POST /admin/drain ?on=1|0   (loopback, or --admin-bind-any) this node
///                    takes no new classrooms (its own go on); on=0 undoes
///                    it. The cluster learns it with the next heartbeat.
class http_api {
public:
  http_api(caf::actor_system& sys, actors::directory_actor directory, const node_config& cfg,
           std::string secret, std::shared_ptr<storage::photo_store> photos,
           std::shared_ptr<media::worker_pool> media = nullptr);

  /// nullopt: not one of ours.
  std::optional<api_response> handle(const transport::http_request& req);

  void set_shutting_down() { shutting_down_ = true; }
  /// Where POST /admin/drain goes.
  void set_cluster(actors::cluster_actor c) { cluster_ = std::move(c); }
  /// Tenants' API keys, for tokens that name one (GET /photos).
  void set_keys(protocol::key_lookup keys) { keys_ = std::move(keys); }

private:
  api_response health();
  api_response metrics();
  api_response admin_status();
  api_response drain(bool on, bool move);
  api_response gateways();
  /// The directory's status, asked with a deadline; nullopt if it did not
  /// answer (or is shutting down).
  std::optional<actors::node_status> ask_status(std::chrono::milliseconds timeout);
  api_response dev_token(const std::map<std::string, std::string>& query);
  api_response photo(const transport::http_request& req, const std::string& id);

  caf::actor_system& sys_;
  actors::directory_actor directory_;
  bool dev_tokens_;
  bool dev_tokens_any_tenant_;
  bool admin_bind_any_;
  media_counters media_;
  std::string secret_;
  protocol::key_lookup keys_;
  std::shared_ptr<storage::photo_store> photos_;
  std::atomic<bool> shutting_down_{false};
  actors::cluster_actor cluster_;
};

} // namespace lamplight::node
