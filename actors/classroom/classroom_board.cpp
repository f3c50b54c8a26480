// The whiteboard: checked operations, journaled like every other event.

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"
#include "protocol/whiteboard.hpp"

namespace lamplight::actors::classroom_detail {

caf::result<uint64_t> on_board(self_ptr self, const std::string& who, signal::WhiteboardOp op) {
  if (auto err = check_sender(self, who, action::whiteboard_write))
    return err;
  op.set_author(who);
  if (auto err = protocol::validate(self->state.model, op); err.code != errc::none)
    return to_caf(err);
  signal::ClassroomEvent ev;
  *ev.mutable_whiteboard() = std::move(op);
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  return self->state.model.seq();
}

} // namespace lamplight::actors::classroom_detail
