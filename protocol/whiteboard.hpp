#pragma once

#include "lamplight/signal/v1/classroom.pb.h"
#include "protocol/classroom_model.hpp"
#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// Checks a whiteboard operation against the board before it becomes an
/// event: a stroke needs an id of 1..64 characters not yet on the board,
/// 1..4096 x,y points in [0,1], a page up to 999, a color of at most 16
/// characters and a width in [0,1]; erase needs an existing stroke.
/// bad_request, already_exists or not_found otherwise.
error validate(const classroom_model& model, const signal::v1::WhiteboardOp& op);

} // namespace lamplight::protocol
