#pragma once

#include <string>

#include "protocol/errc.hpp"

namespace lamplight::node {

/// The node's token secret: read from `path`, or, when the file does not
/// exist, 32 random bytes (hex) written there with mode 0600 first, so a
/// restarted node accepts the tokens it signed before.
protocol::result<std::string> load_or_create_secret(const std::string& path);

} // namespace lamplight::node
