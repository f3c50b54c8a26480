#pragma once

// A lamplight-node process for end-to-end tests: started on loopback ports
// it picks itself (port 0), with a fresh data directory, stopped when the
// object goes away. The including test defines LAMPLIGHT_NODE_BIN.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "transport/websocket_client.hpp"

namespace lamplight::test {

/// A token secret file for the nodes of this test program's clusters, as
/// an operator shares one across a cluster: a token of one node is good on
/// every other, and media nodes key their pipes from it.
inline std::string cluster_secret_file() {
  static temp_dir dir;
  return (dir.path / "cluster.secret").string();
}

struct node_process {
  temp_dir dir;
  std::unique_ptr<child_process> proc;
  uint16_t http_port = 0;
  uint16_t shell_port = 0;
  uint16_t media_port = 0;
  uint16_t cluster_port = 0;

  explicit node_process(std::vector<std::string> extra = {}) { start(std::move(extra)); }

  /// (Re)starts the node on the same data directory.
  void start(std::vector<std::string> extra = {}) {
    using namespace std::chrono_literals;
    std::vector<std::string> argv{LAMPLIGHT_NODE_BIN, "--port", "0", "--shell-port", "0",
                                  "--data-dir", (dir.path / "data").string()};
    // Tests make tenants of their own (acme, beta) with development
    // tokens unless they say otherwise.
    if (std::find(extra.begin(), extra.end(), "--dev-tokens") == extra.end())
      argv.insert(argv.end(), {"--dev-tokens", "any"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<child_process>(argv);
    auto ready = proc->wait_for("READY", 30s);
    BOOST_REQUIRE_MESSAGE(ready.has_value(), "node did not start");
    http_port = port_of(*ready, "http");
    shell_port = port_of(*ready, "shell");
    media_port = port_of(*ready, "media");
    cluster_port = port_of(*ready, "cluster");
  }

  /// A join token from the node's loopback-only development endpoint.
  std::string token(const std::string& identity, const std::string& role,
                    const std::string& extra = "", const std::string& classroom = "room-1") {
    auto r = transport::http_get("127.0.0.1", http_port,
                                 "/dev/token?tenant=acme&classroom=" + classroom + "&identity="
                                   + identity + "&role=" + role + extra);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.body;
  }

private:
  static uint16_t port_of(const std::string& ready, const std::string& name) {
    std::smatch m;
    if (!std::regex_search(ready, m, std::regex(name + "=([0-9]+)")))
      return 0;
    return static_cast<uint16_t>(std::stoi(m[1].str()));
  }
};

} // namespace lamplight::test
