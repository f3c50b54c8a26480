#pragma once

#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"

namespace lamplight::actors {

/// A client connection as the actors see it: the gateway's WebSocket session,
/// a shell bot, or a watcher. Participants push ServerMessages to it.
using session_actor = caf::typed_actor<
  /// Deliver to the client as it is (event, incoming call, device request...).
  caf::reacts_to<atoms::push, signal::ServerMessage>,
  /// The session is over (replaced by a newer one, classroom closed, left):
  /// tell the client why and close the connection.
  caf::reacts_to<atoms::kick, signal::Error>>;

} // namespace lamplight::actors
