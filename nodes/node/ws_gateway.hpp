#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "actors/node/gateway_session.hpp"
#include "transport/websocket_server.hpp"

namespace lamplight::node {

/// Binds WebSocket connections to gateway session actors: one actor per
/// connection, frames in as `frame` messages, frames out through the
/// connection, which is safe to use from the actors' threads.
std::shared_ptr<transport::ws_session_handler>
open_gateway_session(caf::actor_system& sys, const actors::gateway_config& cfg,
                     std::shared_ptr<transport::ws_connection> conn);

} // namespace lamplight::node
