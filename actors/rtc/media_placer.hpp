#pragma once

#include <string>
#include <vector>

#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/rtc/media_host.hpp"

namespace lamplight::actors {

/// Who decides on which media node a member's media goes: in a cluster the
/// node's cluster actor (it knows the media nodes and their load), in tests
/// anything that answers the same.
using media_placer_actor = caf::typed_actor<
  /// `near` (caf::to_string of a node_id: the member's participant's node),
  /// media nodes to avoid -> the chosen node's name and its media host: the
  /// node `near` if it is a media node, else the least loaded alive media
  /// node not draining nor excluded. errc::unavailable if there is none.
  caf::replies_to<atoms::place, std::string, std::vector<std::string>>::with<std::string,
                                                                             media_host_actor>>;

} // namespace lamplight::actors
