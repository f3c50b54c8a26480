#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "actors/base/messages.hpp"
#include "actors/classroom/classroom_actor.hpp"
#include "actors/classroom/member_actor.hpp"
#include "backend/history_writer.hpp"

namespace lamplight::actors {

/// One per tenant: matches a student's question with a free teacher of the
/// tenant in fair order (teachers free the longest first, questions oldest
/// first), keeps a queue with position updates (signal::QnaUpdate pushed to
/// the students' participants) when none is free, and opens a one-on-one
/// classroom for each pair, sending both a join token for it. A teacher is
/// free again when that classroom closes. Participants that die are dropped.
using dispatcher_actor = caf::typed_actor<
  /// teacher claims, available, its participant. permission_denied unless a
  /// teacher or assistant of this tenant.
  caf::replies_to<atoms::avail, protocol::token_claims, bool, member_actor>::with<
    caf::ok_atom>,
  /// student claims, question, its participant. permission_denied unless a
  /// student of this tenant; wrong_state if it already has one queued.
  caf::replies_to<atoms::ask, protocol::token_claims, signal::QnaAsk, member_actor>::with<
    signal::QnaAsked>,
  /// student identity, question id.
  caf::replies_to<atoms::withdraw, std::string, std::string>::with<caf::ok_atom>,
  /// The Q&A classroom with this id closed: its teacher is free again.
  caf::reacts_to<atoms::done, std::string>,
  /// Free teachers (in order) and queued question ids (in order).
  caf::replies_to<caf::get_atom>::with<std::vector<std::string>, std::vector<std::string>>>;

/// What a dispatcher asks of its node's directory: a one-on-one classroom
/// for a pair, and join tokens for it.
using qna_directory_actor = caf::typed_actor<
  caf::replies_to<atoms::create, classroom_spec>::with<classroom_actor>,
  caf::replies_to<atoms::token, protocol::token_claims>::with<std::string>>;

/// Spawns the Q&A dispatcher of `tenant`. Each question's steps (asked,
/// matched, expired, withdrawn) go to `history` (nullptr: none kept), which
/// only queues them.
dispatcher_actor spawn_dispatcher(caf::actor_system& sys, std::string tenant,
                                  qna_directory_actor directory,
                                  std::shared_ptr<backend::history_writer> history = nullptr);

} // namespace lamplight::actors
