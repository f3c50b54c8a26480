#pragma once

// The classroom actor's state, the steps its handlers share
// (classroom_state.cpp) and its handlers, one group per concern in a file of
// its own (classroom_<group>.cpp), as classroom_actor.hpp groups its
// protocol. Internal to actors/classroom/, not an interface.

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/clock.hpp"
#include "actors/classroom/classroom_actor.hpp"
#include "actors/classroom/track_actor.hpp"
#include "actors/rtc/rtc_room.hpp"
#include "protocol/classroom_model.hpp"
#include "protocol/permissions.hpp"
#include "storage/journal.hpp"

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
  storage::journal_writer journal;
  bool rebuilt = false;
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
  storage::journal_writer journal;
  std::map<std::string, member_actor> participants;
  std::vector<session_actor> watchers;
  std::map<std::string, call_record> calls;
  std::map<std::string, pending_command> commands;
  std::map<std::string, track_actor> tracks;
  /// Each member's publish session: the track each of its sections
  /// publishes (mid -> track id), and whose Publish is under way (one at a
  /// time: each is the whole session).
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::set<std::string> publishing;
  std::map<std::string, uint64_t> absent_timers; // identity -> generation
  rtc_room_actor rtc;  // invalid: no media provider for this classroom
  std::string rtc_down; // why not
  /// Microphone tracks voiced now, by track id, with their level; what
  /// was last told of them, and whether a Speakers push is scheduled.
  std::map<std::string, uint8_t> speaking;
  signal::Speakers speakers_told;
  bool speakers_timer = false;
  uint64_t next_id = 1;
  uint64_t timer_generation = 0;
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


/// Records a call's phase (a CallChanged event once it rang) and counts its
/// outcome; ENDED forgets the call.
void record_call(self_ptr self, const std::string& call_id, signal::CallPhase phase,
                 signal::CallEndReason reason = signal::CALL_END_UNSPECIFIED);

/// Tells the directory how a call turned out (cfg.tally).
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

// -- handlers, by concern (named as the protocol's groups) ---------------------

using snapshot_and_seat = caf::result<signal::ClassroomSnapshot, member_actor>;

// classroom_membership.cpp
snapshot_and_seat on_join(self_ptr self, const protocol::token_claims& who, member_actor p);
caf::result<caf::ok_atom> on_leave(self_ptr self, const std::string& identity,
                                   const std::string& reason);
void on_presence(self_ptr self, const std::string& identity, bool online);
/// A participant or watcher ended.
void on_down(self_ptr self, const caf::down_msg& dm);

// classroom_hands.cpp
caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who, const signal::RaiseHand&);
caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who, const signal::LowerHand&);
caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who,
                                  const signal::AcceptHand& x);
caf::result<caf::ok_atom> on_hand(self_ptr self, const std::string& who,
                                  const signal::DismissHand& x);

// classroom_calls.cpp
caf::result<caf::ok_atom> on_invite(self_ptr self, const std::string& call_id,
                                    const std::string& caller, const std::string& callee);
void on_call(self_ptr self, const std::string& call_id, const std::string& sender,
             call_signal sig);

// classroom_devices.cpp
caf::result<std::string> on_device(self_ptr self, const std::string& who,
                                   const signal::DeviceCommand& cmd);
void on_outcome(self_ptr self, const signal::DeviceOutcome& o);
/// `who` (checked by the caller) sends `cmd` to its target's lamp.
caf::result<std::string> send_device_command(self_ptr self, const std::string& who,
                                             const signal::DeviceCommand& cmd);

// classroom_moderation.cpp
caf::result<caf::ok_atom> on_remove(self_ptr self, const signal::MemberLeft& x);
caf::result<std::string> on_device_for(self_ptr self, const signal::DeviceCommand& cmd,
                                       const std::string& on_behalf_of);

// classroom_board.cpp
caf::result<uint64_t> on_board(self_ptr self, const std::string& who, signal::WhiteboardOp op);

// classroom_streams.cpp
caf::result<signal::Published> on_publish(self_ptr self, const std::string& who,
                                          const signal::Publish& x);
caf::result<caf::ok_atom> on_unpublish(self_ptr self, const std::string& who,
                                       const signal::Unpublish& x);
caf::result<caf::ok_atom> on_subscribe(self_ptr self, const std::string& who,
                                             const signal::Subscribe& x);
caf::result<caf::ok_atom> on_answer(self_ptr self, const std::string& who,
                                    const signal::SubscribeAnswer& x);
caf::result<caf::ok_atom> on_unsubscribe(self_ptr self, const std::string& who,
                                         const signal::Unsubscribe& x);
caf::result<caf::ok_atom> on_mute(self_ptr self, const std::string& who, const signal::Mute& x);
/// Journals and applies a mute (checked by the caller).
caf::result<caf::ok_atom> set_track_muted(self_ptr self, const signal::Mute& x);
caf::result<caf::ok_atom> on_layer(self_ptr self, const std::string& who,
                                   const signal::PreferLayer& x);
/// From the media room: members whose media died with a media node.
void on_media_lost(self_ptr self, const std::vector<std::string>& members,
                   const std::vector<std::string>& lost);


// classroom_speakers.cpp
/// From the media room: a microphone started or stopped being voiced.
void on_speaking(self_ptr self, const std::string& track_id, bool speaking, uint8_t level);
/// A Speakers push is due (something changed): at most one per interval.
void arm_speakers_timer(self_ptr self);
/// The timer fired: members and watchers get who speaks, if it changed.
void tell_speakers(self_ptr self);
/// The model's snapshot for `viewer` ("": everything) with who speaks now.
signal::ClassroomSnapshot snapshot_for(self_ptr self, const std::string& viewer);

} // namespace lamplight::actors::classroom_detail
