#include "protocol/permissions.hpp"

namespace lamplight::protocol {

using signal::v1::ClassroomMode;
using signal::v1::Role;

const char* to_string(action x) {
  switch (x) {
    case action::call: return "call";
    case action::answer_call: return "answer_call";
    case action::raise_hand: return "raise_hand";
    case action::manage_hands: return "manage_hands";
    case action::control_device: return "control_device";
    case action::ack_device: return "ack_device";
    case action::whiteboard_write: return "whiteboard_write";
    case action::publish: return "publish";
    case action::subscribe: return "subscribe";
    case action::qna_ask: return "qna_ask";
    case action::qna_answer: return "qna_answer";
  }
  return "unknown";
}

bool allowed(Role role, action a) {
  const bool staff = role == signal::v1::ROLE_TEACHER || role == signal::v1::ROLE_ASSISTANT;
  const bool student = role == signal::v1::ROLE_STUDENT;
  switch (a) {
    case action::call:
    case action::manage_hands:
    case action::control_device:
    case action::qna_answer:
      return staff;
    case action::answer_call:
    case action::whiteboard_write:
    case action::publish:
      return staff || student;
    case action::raise_hand:
    case action::ack_device:
    case action::qna_ask:
      return student;
    case action::subscribe:
      return staff || student || role == signal::v1::ROLE_PARENT;
  }
  return false;
}

uint32_t default_capacity(ClassroomMode mode) {
  switch (mode) {
    case signal::v1::MODE_ONE_ON_ONE: return 4;
    case signal::v1::MODE_SMALL_GROUP: return 16;
    case signal::v1::MODE_LARGE_CLASS: return 200;
    default: return 200;
  }
}

namespace {

const char* mode_name(ClassroomMode mode) {
  switch (mode) {
    case signal::v1::MODE_ONE_ON_ONE: return "one_on_one";
    case signal::v1::MODE_SMALL_GROUP: return "small_group";
    case signal::v1::MODE_LARGE_CLASS: return "large_class";
    default: return "unspecified";
  }
}

const char* plural(Role role) {
  switch (role) {
    case signal::v1::ROLE_TEACHER: return "teachers";
    case signal::v1::ROLE_STUDENT: return "students";
    default: return "members";
  }
}

} // namespace

error check_capacity(const signal::v1::ClassroomSnapshot& snapshot, Role role,
                     const std::string& identity) {
  if (role == signal::v1::ROLE_UNSPECIFIED || !signal::v1::Role_IsValid(role))
    return {errc::bad_request, "role is unspecified"};
  uint32_t total = 0;
  uint32_t same_role = 0;
  for (const auto& m : snapshot.members()) {
    if (m.identity() == identity)
      continue; // a rejoin replaces the old seat
    ++total;
    if (m.role() == role)
      ++same_role;
  }
  const auto mode = snapshot.mode();
  const uint32_t cap = snapshot.capacity() != 0 ? snapshot.capacity() : default_capacity(mode);
  if (total >= cap)
    return {errc::classroom_full, std::string{mode_name(mode)} + " classroom is full ("
                                    + std::to_string(cap) + " members)"};
  uint32_t limit = 0;
  if (mode == signal::v1::MODE_ONE_ON_ONE) {
    if (role == signal::v1::ROLE_TEACHER || role == signal::v1::ROLE_STUDENT)
      limit = 1;
  } else if (mode == signal::v1::MODE_SMALL_GROUP) {
    if (role == signal::v1::ROLE_TEACHER)
      limit = 1;
    else if (role == signal::v1::ROLE_STUDENT)
      limit = 6;
  }
  if (limit != 0 && same_role >= limit) {
    auto noun = std::string{plural(role)};
    if (limit == 1)
      noun.pop_back(); // "1 teacher", not "1 teachers"
    return {errc::classroom_full, std::string{mode_name(mode)} + " classroom already has "
                                    + std::to_string(limit) + " " + noun};
  }
  return {};
}

} // namespace lamplight::protocol
