#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace lamplight::bench {

/// The node a bench run measures: one it starts itself (a lamplight-node
/// process on loopback, with a fresh data directory, stopped at the end),
/// a cluster of them it starts, or one given by address. Its counters come
/// from GET /metrics (Prometheus text); nodes started here are also read
/// from /proc.
class node_probe {
public:
  /// Starts `binary` with `extra` arguments; nullptr if it did not start.
  static std::unique_ptr<node_probe> start(const std::string& binary,
                                           const std::vector<std::string>& extra);
  /// Starts a cluster on loopback: a room node (classrooms, no media) and
  /// `media_nodes` nodes with the gateway and media roles, all with one
  /// token secret. Lamps spread over the gateways, so each member's media
  /// is on its gateway's node and tracks cross between them (pipes).
  static std::unique_ptr<node_probe> start_cluster(const std::string& binary,
                                                   const std::vector<std::string>& extra,
                                                   int media_nodes);
  static std::unique_ptr<node_probe> attach(const std::string& host, uint16_t port);
  ~node_probe();

  const std::string& host() const { return host_; }
  /// The first gateway's port.
  uint16_t port() const { return port_; }
  /// The gateway lamp `i` connects to (round robin).
  uint16_t gateway_port(std::size_t i) const {
    return gateways_.empty() ? port_ : gateways_[i % gateways_.size()];
  }

  /// One started node's media counters and CPU so far.
  struct node_media {
    std::string name;
    double rtp_in = 0;
    double rtp_forwarded = 0;
    double pipe_in = 0;   // of rtp_in: from other media nodes' pipes
    double pipe_out = 0;  // of rtp_forwarded: into pipes
    double cpu_s = 0;
  };
  /// Every node started here (empty when attached).
  std::vector<node_media> per_node();

  /// Another process that serves the node's media (a Janus): its CPU and
  /// memory count with the node's, so that providers are compared whole.
  void add_process(pid_t pid) { extra_pids_.push_back(pid); }

  struct sample {
    double at_s = 0;               // since the probe began
    double cpu_s = 0;              // the node's CPU time
    double rss_bytes = 0;
  };
  sample read();

  /// A dev token (the node must allow them: loopback).
  std::optional<std::string> token(const std::string& tenant, const std::string& classroom,
                                   const std::string& identity, const std::string& role,
                                   const std::string& mode = "");

private:
  node_probe() = default;
  static std::map<std::string, double> metrics(const std::string& host, uint16_t port);

  struct member {
    std::string name;
    uint16_t port = 0;
    uint16_t cluster_port = 0;
    std::unique_ptr<test::child_process> proc;
  };
  /// Starts one node in `dir_`; false if it did not start.
  bool launch(const std::string& binary, const std::string& name, std::vector<std::string> args);

  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  std::vector<uint16_t> gateways_;
  std::unique_ptr<test::temp_dir> dir_;
  std::vector<member> members_;  // started here, stopped last to first
  double t0_ = 0;
  std::vector<pid_t> extra_pids_;
};

} // namespace lamplight::bench
