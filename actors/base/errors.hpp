#pragma once

#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "protocol/errc.hpp"

namespace lamplight::actors {

/// The CAF error category of protocol::errc.
inline constexpr caf::atom_value error_category = caf::atom("lamplight");

/// A typed error that crosses actors (and nodes) as a caf::error and comes out
/// at the client as signal::v1::Error with the same code and message.
caf::error make_error(protocol::errc code, std::string message);

/// Back to the protocol: lamplight errors keep code and message;
/// sec::request_timeout -> timeout; a dead or unreachable actor or node ->
/// unavailable; anything else -> internal (with CAF's rendering as message).
protocol::error to_protocol_error(const caf::error& e);

/// The exit reason of a classroom handed over to another node (drain): its
/// participants look for it again instead of ending.
caf::error classroom_moved();
bool is_classroom_moved(const caf::error& e);

} // namespace lamplight::actors
