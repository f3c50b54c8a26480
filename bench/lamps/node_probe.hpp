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
/// or one given by address. Its counters come from GET /metrics
/// (Prometheus text); a node started here is also read from /proc.
class node_probe {
public:
  /// Starts `binary` with `extra` arguments; nullopt-like failure via ok().
  static std::unique_ptr<node_probe> start(const std::string& binary,
                                           const std::vector<std::string>& extra);
  static std::unique_ptr<node_probe> attach(const std::string& host, uint16_t port);
  ~node_probe();

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

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
  std::map<std::string, double> metrics();

  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  std::unique_ptr<test::temp_dir> dir_;
  std::unique_ptr<test::child_process> proc_;
  double t0_ = 0;
  std::vector<pid_t> extra_pids_;
};

} // namespace lamplight::bench
