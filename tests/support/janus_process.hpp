#pragma once

// A Janus gateway for tests and the bench: its own config in a temp dir
// (videoroom plugin and WebSocket transport only), on ports it picks itself,
// stopped (SIGTERM, then SIGKILL) when the object goes away. No Boost.Test
// here, so the bench can use it too: a start that fails throws
// std::runtime_error carrying the tail of Janus's log.
//
// Janus never gathers ICE host candidates on loopback interfaces, so on
// 127.0.0.1 alone it cannot talk WebRTC. By default it therefore runs in a
// network namespace of its own (root needed, via iproute2's `ip`), joined to
// this machine's by a veth pair on a private /30 out of 10.213.0.0/16: Janus
// listens and gathers on the namespace side (`host`), clients on this
// machine bind their ICE candidates to the root side (`peer_ip`). Nothing
// leaves the machine. The namespace and the veth pair go with the object;
// ones left by crashed runs are removed by the next launcher.

#include <cstdint>
#include <memory>
#include <string>

#include <sys/types.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace lamplight::test {

struct janus_options {
  /// A path, or a name looked up in PATH. While it is the default "janus",
  /// the LAMPLIGHT_JANUS_BIN environment variable replaces it, so CI can
  /// point every test at another build without touching code.
  std::string binary = "janus";
  /// "min-max" for RTP/ICE; empty: a range near a free UDP port, so that
  /// several gateways on one machine rarely compete for the same ports.
  std::string rtp_port_range;
  /// Run Janus in a network namespace of its own (see above). false: on
  /// 127.0.0.1 as it is, enough for signalling but not for media.
  bool own_namespace = true;
};

struct janus_process {
  explicit janus_process(janus_options options = {});
  ~janus_process();
  janus_process(const janus_process&) = delete;
  janus_process& operator=(const janus_process&) = delete;

  /// Where to reach Janus: its WebSocket API listens here, and its ICE
  /// candidates carry this address. "127.0.0.1" without own_namespace, else
  /// the namespace side of the veth pair (10.213.x.y).
  std::string host = "127.0.0.1";
  /// The address on this machine (root namespace side of the veth pair) that
  /// clients must bind / gather their ICE candidates on for Janus to reach
  /// them. "127.0.0.1" without own_namespace.
  std::string peer_ip = "127.0.0.1";
  /// The network namespace Janus runs in ("lljanus-<pid>-<n>"); empty
  /// without own_namespace.
  std::string netns;
  /// The WebSocket API port on `host` (subprotocol janus-protocol).
  uint16_t ws_port = 0;
  /// Where janus.jcfg and the plugin/transport configs are; janus.log too.
  std::string config_dir;

  pid_t pid() const;
  bool running() const;
  /// SIGKILL and reap: a gateway that dies without saying goodbye.
  void kill9();
  /// The last `lines` lines of Janus's log, for failure messages.
  std::string log_tail(std::size_t lines = 40) const;

private:
  struct namespace_setup;

  bool try_start(const std::string& binary, const std::string& lib_dir, std::string& why);

  janus_options options_;
  temp_dir dir_;
  /// Declared before proc_: Janus is gone before its namespace goes.
  std::unique_ptr<namespace_setup> ns_;
  std::unique_ptr<child_process> proc_;
};

} // namespace lamplight::test
