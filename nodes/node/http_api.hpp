#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include <caf/fwd.hpp>

#include "actors/directory_actor.hpp"
#include "nodes/node/config.hpp"

namespace lamplight::node {

struct api_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// The node's own HTTP endpoints (everything else is the web clients' files):
///   GET /healthz     200 with the node's status as JSON; 503 while shutting
///                    down or when the directory does not answer in 2 s.
///   GET /dev/token   ?tenant=&classroom=&identity=&role=[&mode=&child=&name=&ttl=]
///                    a signed join token as text, for loopback clients when
///                    dev tokens are enabled (demos, tests); 404 otherwise.
class http_api {
public:
  http_api(caf::actor_system& sys, actors::directory_actor directory, const node_config& cfg,
           std::string secret);

  /// nullopt: not one of ours.
  std::optional<api_response> handle(const std::string& method, const std::string& path,
                                     const std::map<std::string, std::string>& query,
                                     bool remote_is_loopback);

  void set_shutting_down() { shutting_down_ = true; }

private:
  api_response health();
  api_response dev_token(const std::map<std::string, std::string>& query);

  caf::actor_system& sys_;
  actors::directory_actor directory_;
  bool dev_tokens_;
  std::string secret_;
  std::atomic<bool> shutting_down_{false};
};

} // namespace lamplight::node
