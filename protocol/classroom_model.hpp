#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "lamplight/signal/v1/classroom.pb.h"
#include "protocol/errc.hpp"
#include "protocol/hand_queue.hpp"

namespace lamplight::protocol {

/// The state of one classroom as a fold over its events. The classroom actor
/// validates a command, makes the event, appends it to the journal, then
/// `apply`s it here and sends it as a delta; replaying the journal through
/// `apply` rebuilds the same state exactly (the snapshots compare equal
/// byte for byte).
class classroom_model {
public:
  classroom_model() = default;

  /// Applies the next event. Its seq must be seq() + 1 (errc::wrong_state
  /// otherwise) and the first event must be `created`. An event that does not
  /// fit the state (unknown member, hand not raised...) returns
  /// errc::bad_request and changes nothing: the actor only makes events that
  /// fit, so this guards against a corrupt journal.
  errc apply(const signal::v1::ClassroomEvent& ev);

  /// The full state.
  const signal::v1::ClassroomSnapshot& snapshot() const { return state_; }

  /// What `viewer` may see: everything for teachers, assistants and students;
  /// for a parent, the teachers and assistants, its own child, and the
  /// whiteboard, but no other student, no other student's hand, call or
  /// tracks.
  signal::v1::ClassroomSnapshot snapshot_for(const std::string& viewer) const;

  /// Whether the event concerns something `viewer` may see (same rules).
  /// Call it BEFORE `apply`ing the event: track_unpublished/track_muted and
  /// member_left are judged by the state the event is about to change (the
  /// track's owner, the leaving member's role), which apply removes.
  bool visible_to(const signal::v1::ClassroomEvent& ev, const std::string& viewer) const;

  /// Whether `viewer` may see member `subject` (and so its tracks, hand and
  /// calls), by the same rules.
  bool member_visible_to(const std::string& subject, const std::string& viewer) const;

  uint64_t seq() const { return state_.seq(); }
  bool created() const { return state_.seq() > 0; }
  bool closed() const { return state_.closed(); }

  /// nullptr if not a member.
  const signal::v1::Member* member(const std::string& identity) const;
  const signal::v1::CallInfo* call(const std::string& call_id) const;
  const signal::v1::TrackInfo* track(const std::string& track_id) const;
  const hand_queue& hands() const { return hands_; }

  /// Number of members with `role`.
  uint32_t count(signal::v1::Role role) const;

private:
  signal::v1::Member* find_member(const std::string& identity);
  void reindex();

  signal::v1::ClassroomSnapshot state_;
  hand_queue hands_;
  std::unordered_map<std::string, int> member_index_;
};

} // namespace lamplight::protocol
