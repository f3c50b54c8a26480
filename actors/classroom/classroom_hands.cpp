// The classroom's hand queue: students raise and lower their hands,
// teachers and assistants accept or dismiss them.

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

namespace {

/// A teacher accepts or dismisses a hand: `student`'s, or the oldest if empty.
caf::result<caf::ok_atom> take_hand(self_ptr self, const std::string& who,
                                    const std::string& student_arg, signal::HandOutcome outcome) {
  if (auto err = check_sender(self, who, action::manage_hands))
    return err;
  const auto& hands = self->state.model.hands();
  auto student = student_arg.empty() ? hands.front().value_or("") : student_arg;
  if (student.empty() || !hands.raised(student))
    return make_error(errc::not_found,
                      student.empty() ? "no raised hand" : "no raised hand of " + student);
  signal::ClassroomEvent ev;
  ev.mutable_hand_lowered()->set_identity(student);
  ev.mutable_hand_lowered()->set_outcome(outcome);
  ev.mutable_hand_lowered()->set_by(who);
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  return caf::ok_atom::value;
}

} // namespace

caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who, const signal::RaiseHand&) {
  if (auto err = check_sender(self, who, action::raise_hand))
    return err;
  if (self->state.model.hands().raised(who))
    return make_error(errc::wrong_state, "hand already raised");
  signal::ClassroomEvent ev;
  ev.mutable_hand_raised()->set_identity(who);
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who, const signal::LowerHand&) {
  if (auto err = check_sender(self, who, action::raise_hand))
    return err;
  if (!self->state.model.hands().raised(who))
    return make_error(errc::wrong_state, "hand not raised");
  signal::ClassroomEvent ev;
  ev.mutable_hand_lowered()->set_identity(who);
  ev.mutable_hand_lowered()->set_outcome(signal::HAND_OUTCOME_LOWERED);
  ev.mutable_hand_lowered()->set_by(who);
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who,
                                  const signal::AcceptHand& x) {
  return take_hand(self, who, x.student(), signal::HAND_OUTCOME_ACCEPTED);
}

caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who,
                                  const signal::DismissHand& x) {
  return take_hand(self, who, x.student(), signal::HAND_OUTCOME_DISMISSED);
}

} // namespace lamplight::actors::classroom_detail
