#pragma once

// The classroom actor's state and the steps its handlers share; internal to
// actors/ (classroom_actor.cpp and classroom_state.cpp), not an interface.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/classroom_actor.hpp"
#include "actors/clock.hpp"
#include "actors/directory_actor.hpp"
#include "actors/journal.hpp"
#include "actors/track_actor.hpp"
#include "actors/rtc_room.hpp"
#include "protocol/classroom_model.hpp"
#include "protocol/permissions.hpp"

namespace lamplight::actors::classroom_detail {

using protocol::action;
using protocol::call_signal;
using protocol::errc;

/// How long the classroom waits for a participant it asks something
/// (ringing, handing over a device request). Finite so a dead node cannot
/// leave a request hanging.
constexpr auto peer_timeout = std::chrono::seconds(5);

/// Everything the spawn function prepared before the actor starts.
struct classroom_init {
  classroom_config cfg;
  protocol::classroom_model model;
  journal_writer journal;
  bool rebuilt = false;
  tally_actor tally;
};

struct call_record {
  std::string caller;
  std::string callee;
  bool caller_ready = false;
  bool callee_ready = false;
  bool recorded = false; // a CallChanged event exists for it
  bool connected = false; // counted as connected (once per call)
};

struct pending_command {
  std::string requester;
  std::string target;
  signal::DeviceRequest request;
};

struct classroom_state {
  classroom_config cfg;
  protocol::classroom_model model;
  journal_writer journal;
  std::map<std::string, participant_actor> participants;
  std::vector<session_actor> watchers;
  std::map<std::string, call_record> calls;
  std::map<std::string, pending_command> commands;
  std::map<std::string, track_actor> tracks;
  std::map<std::string, uint64_t> absent_timers; // identity -> generation
  rtc_room_actor rtc;  // invalid: no media provider for this classroom
  std::string rtc_down; // why not
  uint64_t next_id = 1;
  uint64_t timer_generation = 0;
  tally_actor tally;  // the directory's metrics; may be invalid (tests)
  static inline const char* name = "lamplight.classroom";
};

using self_ptr = classroom_actor::stateful_pointer<classroom_state>;

std::string next_id(self_ptr self, const char* prefix);

protocol::error commit(self_ptr self, signal::ClassroomEvent ev);

/// Tells the replicator how long the journal is now (`last`: closed).
void replicate(self_ptr self, bool last);

caf::error to_caf(const protocol::error& e);

bool from_member(self_ptr self, const std::string& identity);

caf::error check_sender(self_ptr self, const std::string& identity, action a);

signal::Error kick_reason(errc code, std::string message);

caf::result<caf::ok_atom> take_hand(self_ptr self, const std::string& who,
                                    const std::string& student_arg, signal::HandOutcome outcome);

/// Records a call's phase (a CallChanged event once it rang) and counts its
/// outcome; ENDED forgets the call.
void record_call(self_ptr self, const std::string& call_id, signal::CallPhase phase,
                 signal::CallEndReason reason = signal::CALL_END_UNSPECIFIED);

/// Tells the directory how a call turned out (see tally_actor).
void count_call(self_ptr self, call_outcome x);

void remove_member(self_ptr self, const std::string& identity, const std::string& reason);

void set_presence(self_ptr self, const std::string& identity, bool online);

void arm_flush_timer(self_ptr self);

/// A lamp's DONE for a photo command: DONE (and a PhotoTaken event) only if
/// the photo it names is in the store, from that lamp, in this classroom;
/// FAILED otherwise, since a teacher could not fetch it.
signal::DeviceOutcome photo_outcome(self_ptr self, const pending_command& cmd,
                                    const signal::DeviceOutcome& done);

void settle_after_rebuild(self_ptr self);

/// The member is offline; its seat is kept for the absent grace.
void mark_absent(self_ptr self, const std::string& identity);

} // namespace lamplight::actors::classroom_detail
