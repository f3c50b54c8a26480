#pragma once

#include <cstdint>

#include "lamplight/signal/v1/classroom.pb.h"
#include "lamplight/signal/v1/common.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// What a participant may try. The classroom actor checks every request
/// against the sender's role with `allowed`; the client is never trusted.
enum class action : uint8_t {
  call,              // invite someone to a call
  answer_call,       // accept/reject a call addressed to oneself
  raise_hand,
  manage_hands,      // accept or dismiss hands
  control_device,    // send a device command to a lamp
  ack_device,        // answer a device command addressed to oneself
  whiteboard_write,
  publish,
  subscribe,
  qna_ask,
  qna_answer,        // offer to answer Q&A questions
};
const char* to_string(action x);

/// Role x action table. Parents may only subscribe (to what they can see).
bool allowed(signal::v1::Role role, action a);

/// Default capacity (participants of every role) of a mode:
/// one_on_one 4 (teacher, student, and room for an assistant and a parent),
/// small_group 16, large_class 200.
uint32_t default_capacity(signal::v1::ClassroomMode mode);

/// Per-role limits of a mode, checked on join in addition to the total:
/// one_on_one: 1 teacher, 1 student; small_group: 1 teacher, 6 students;
/// large_class: 200 in all. `snapshot` holds the current members (a member
/// already present under the same identity is not counted twice).
/// errc::classroom_full with a message naming the limit otherwise.
error check_capacity(const signal::v1::ClassroomSnapshot& snapshot,
                     signal::v1::Role role, const std::string& identity);

} // namespace lamplight::protocol
