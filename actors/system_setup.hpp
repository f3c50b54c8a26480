#pragma once

#include <caf/actor_system_config.hpp>

namespace lamplight::actors {

/// Registers lamplight's type-ID block and error category. Every actor system
/// that talks to lamplight actors (node, shell, tests, bench) calls this
/// before constructing the system.
void add_lamplight_types(caf::actor_system_config& cfg);

} // namespace lamplight::actors
