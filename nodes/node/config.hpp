#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "protocol/errc.hpp"

namespace lamplight::node {

/// Everything lamplight-node can be told. Each field has a built-in default
/// (an all-in-one node on loopback), and each can be set, in increasing
/// precedence, by the config file, by the environment (LAMPLIGHT_ + the
/// option name in upper case with '-' as '_', e.g. LAMPLIGHT_SHELL_PORT) and
/// by the command line (--shell-port).
struct node_config {
  std::string config_file;               // --config; absent = none
  std::string name = "lamplight";        // node name in status and logs
  std::string bind = "127.0.0.1";        // WebSocket signaling, HTTP, web clients
  uint16_t port = 7443;                  // 0 = any free port (printed when ready)
  std::string shell_bind = "127.0.0.1";  // CAF middleman endpoint for lamplight-shell
  uint16_t shell_port = 4243;            // 0 = any free port
  std::string media_bind = "127.0.0.1";  // the media worker's UDP port (ICE, DTLS, SRTP)
  uint16_t media_port = 0;               // 0 = any free port; else worker i binds port + i
  uint32_t media_workers = 0;            // forwarding threads (0 = one per core)
  uint16_t cluster_port = 0;             // cluster endpoint (on shell-bind); 0 = any free port
  std::string seeds;                     // host:port,... of other nodes' cluster endpoints
  std::string roles = "gateway,room,media";  // what this node does in a cluster
  // Parsed and checked by load_config from the three options above and
  // `janus`, for the node to use as they are.
  std::vector<std::string> role_list;
  std::vector<std::string> seed_list;
  std::string janus_host;
  uint16_t janus_port = 0;
  std::string provider = "sfu";          // media provider of classrooms that name none
  std::string janus;                     // host:port of a Janus WebSocket API; empty: none
  std::string janus_admin_key;           // VideoRoom admin_key, if that Janus wants one
  std::string data_dir = "lamplight-data";
  std::string database;                  // PostgreSQL URI or SQLite file; default <data-dir>/lamplight.db
  std::string web_root;                  // default: the web/ folder next to the sources
  std::string token_secret_file;         // default: <data-dir>/token.secret
  // /dev/token: on | off | auto (on when bind is loopback): tokens of the
  // built-in `demo` tenant; any: of every tenant (a development or load-test
  // node without real tenants: anyone on the machine may join any classroom).
  std::string dev_tokens = "auto";
  bool admin_bind_any = false;           // /admin/status for any client, not loopback only
  // Webhook destinations on this machine or a private network are refused
  // (a tenant must not reach the node's own services) unless allowed here.
  bool webhook_allow_loopback = false;
  bool webhook_allow_private = false;
  uint32_t io_threads = 1;
  uint32_t max_frame_bytes = 64 * 1024;
  uint32_t ws_idle_seconds = 20;         // a silent WebSocket is pinged at half, dropped at this
  // Server API requests per tenant on this node: a steady rate and a burst
  // (one tenant's flood must not slow the others'); rate 0: no limit.
  double api_rate = 50;
  double api_burst = 100;
  std::chrono::milliseconds ring_timeout{30000};
  std::chrono::milliseconds media_setup_timeout{20000};
  std::chrono::milliseconds reconnect_grace{10000};
  std::chrono::milliseconds device_deadline{10000};
  std::chrono::milliseconds absent_grace{30000};
  std::chrono::milliseconds journal_flush{200};

  bool dev_tokens_enabled() const;
  /// Whether /dev/token signs for tenants other than `demo`.
  bool dev_tokens_for_any_tenant() const { return dev_tokens == "any"; }
};

/// Reads the environment; injectable for tests.
using env_lookup = std::function<const char*(const char*)>;

/// Parses flags, environment and config file (see node_config for the
/// precedence). Returns bad_request with a message for unknown options,
/// malformed values or an unreadable config file; `help` is set when --help
/// was given (the text is in `help_text`).
struct load_result {
  node_config config;
  bool help = false;
  std::string help_text;
};
protocol::result<load_result> load_config(const std::vector<std::string>& args,
                                          const env_lookup& env);

} // namespace lamplight::node
