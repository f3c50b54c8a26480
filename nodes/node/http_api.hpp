#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/directory_actor.hpp"
#include "actors/photo_store.hpp"
#include "nodes/node/config.hpp"
#include "transport/websocket_server.hpp"

namespace lamplight::node {

struct api_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

/// The node's own HTTP endpoints (everything else is the web clients' files):
///   GET /healthz     200 with the node's status as JSON; 503 while shutting
///                    down or when the directory does not answer in 2 s.
///   GET /dev/token   ?tenant=&classroom=&identity=&role=[&mode=&child=&name=&ttl=]
///                    a signed join token as text, for loopback clients when
///                    dev tokens are enabled (demos, tests); 404 otherwise.
///   GET /photos/<id> ?token=<join token> (or Authorization: Bearer <token>)
///                    a stored homework photo (image/jpeg) for the teachers
///                    and assistants of the classroom it was taken in, and
///                    the parent of the child who took it; 401 without a
///                    valid token, 403 for anyone else, 404 if unknown.
class http_api {
public:
  http_api(caf::actor_system& sys, actors::directory_actor directory, const node_config& cfg,
           std::string secret, std::shared_ptr<actors::photo_store> photos);

  /// nullopt: not one of ours.
  std::optional<api_response> handle(const transport::http_request& req);

  void set_shutting_down() { shutting_down_ = true; }

private:
  api_response health();
  api_response dev_token(const std::map<std::string, std::string>& query);
  api_response photo(const transport::http_request& req, const std::string& id);

  caf::actor_system& sys_;
  actors::directory_actor directory_;
  bool dev_tokens_;
  std::string secret_;
  std::shared_ptr<actors::photo_store> photos_;
  std::atomic<bool> shutting_down_{false};
};

} // namespace lamplight::node
