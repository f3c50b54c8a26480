#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/node/directory_actor.hpp"
#include "actors/classroom/session_actor.hpp"
#include "protocol/device_credential.hpp"
#include "protocol/codec.hpp"

namespace lamplight::actors {

/// The socket side of a client connection, implemented by the node's
/// WebSocket server (and by tests). Both calls are thread-safe: actors call
/// them from scheduler threads.
class client_link {
public:
  virtual ~client_link() = default;
  /// Send one frame: a text frame for json, a binary frame for binary.
  virtual void send(std::string frame, protocol::wire_format fmt) = 0;
  /// Close the connection (after the frames already sent).
  virtual void close(std::string reason) = 0;
};

/// A WebSocket session: decodes frames (size limit, JSON or protobuf), handles
/// Join (token check, classroom via the directory, participant spawn or
/// reattach) and Ping itself, forwards every other request to its participant
/// and encodes replies and pushes in the format the client last used.
/// Before Join, everything else gets errc::not_joined; a second Join gets
/// errc::already_joined; undecodable frames get their typed error.
using gateway_session_actor = session_actor::extend<
  /// A frame from the socket.
  caf::reacts_to<atoms::frame, std::string, protocol::wire_format>,
  /// The socket closed: detach from the participant (reconnect grace), quit.
  caf::reacts_to<atoms::closed>,
  /// Own timer: no successful Join in time closes the connection.
  caf::reacts_to<atoms::timeout, timer_kind, std::string, uint64_t>>;

struct gateway_config {
  /// The node's own secret: tokens without a key id.
  std::string token_secret;
  /// Tenants' live API keys: tokens naming one (kid) are verified with it,
  /// for its tenant only (unset: such tokens are refused).
  protocol::key_lookup keys;
  /// Tenants' registered lamps, for a Join with a DeviceLogin (unset: such
  /// joins are refused).
  protocol::device_lookup devices;
  /// The tenant's quotas, asked for each verified join before the
  /// classroom is (backend::quota_guard: errc::resource_exhausted). Unset:
  /// no quotas.
  std::function<protocol::error(const protocol::token_claims&)> admit;
  directory_actor directory;
  protocol::codec_limits limits;
  participant_timeouts timeouts;
  /// A connection must join within this long.
  caf::timespan join_timeout = std::chrono::seconds(15);
};

gateway_session_actor spawn_gateway_session(caf::actor_system& sys,
                                            std::shared_ptr<client_link> link,
                                            gateway_config cfg);

} // namespace lamplight::actors
