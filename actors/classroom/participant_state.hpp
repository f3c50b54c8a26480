#pragma once

// The participant actor's state and the steps its handlers share, and its
// handlers by concern: calls (participant_calls.cpp), device commands
// addressed to its lamp (participant_devices.cpp), client requests
// (participant_requests.cpp); the seat and its session live in
// participant_actor.cpp. Internal to actors/classroom/, not an interface.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/classroom/participant_actor.hpp"
#include "protocol/call_machine.hpp"
#include "protocol/device_command.hpp"
#include "protocol/errc.hpp"

namespace lamplight::actors::participant_detail {

using protocol::errc;

/// Requests to the classroom or dispatcher: finite, so a dead node turns into
/// errc::timeout / unavailable for the client instead of a request that never
/// answers.
constexpr auto upstream_timeout = std::chrono::seconds(10);

struct participant_state {
  participant_config cfg;
  session_actor session;
  bool joined = false;
  signal::Member view;  // own row of the classroom, kept from deltas
  protocol::call_machine call;
  uint64_t call_timer_gen = 0;
  uint64_t grace_gen = 0;
  std::map<std::string, protocol::device_command> commands;  // addressed to this lamp
  uint64_t next_call = 1;
  uint64_t call_salt = 0;
  // What it watches (participant_watching.cpp): the classroom's tracks by
  // owner, its teachers and mode, the tracks it watches because its state
  // says so, those its client chose or declined, and its subscribe
  // session's last offer until the client answers it.
  signal::ClassroomMode mode = signal::MODE_UNSPECIFIED;
  std::map<std::string, std::string> tracks;
  std::set<std::string> teachers;
  std::set<std::string> auto_watched;
  std::set<std::string> client_watched;
  std::set<std::string> declined;
  std::optional<signal::SubscribeOffer> session_offer;
  static inline const char* name = "lamplight.participant";
};

using self_ptr = participant_actor::stateful_pointer<participant_state>;
using reply = caf::result<signal::ServerMessage>;

const std::string& identity_of(self_ptr self);

/// To the client, unasked (nothing while no session is attached).
void push(self_ptr self, signal::ServerMessage msg);
signal::ServerMessage reply_error(uint64_t request_id, const caf::error& err);
signal::ServerMessage ack(uint64_t request_id);

// -- participant_watching.cpp ---------------------------------------------------------
/// Watches (or stops watching) what its state says it should.
void update_watching(self_ptr self);
/// The classroom's tracks, teachers and mode from a (re)join's snapshot.
void learn_tracks(self_ptr self, const signal::ClassroomSnapshot& snap);
/// The same from one event.
void learn_event(self_ptr self, const signal::ClassroomEvent& ev);
/// Its subscribe session's next offer: kept and pushed.
void on_session_offer(self_ptr self, const signal::SubscribeOffer& offer);
/// The unanswered offer again, for a session that attached since.
void repeat_session_offer(self_ptr self);
/// The client subscribed (true) or unsubscribed (false) a track itself.
void client_watches(self_ptr self, const std::string& track_id, bool watches);

// -- participant_calls.cpp ---------------------------------------------------------
reply on_call_request(self_ptr self, const signal::ClientMessage& m);
caf::result<caf::ok_atom> on_ring(self_ptr self, const std::string& call_id,
                                  const std::string& caller, const std::string& caller_name);
void on_peer_move(self_ptr self, const std::string& call_id, protocol::call_signal sig);
void on_call_timer(self_ptr self, timer_kind kind, const std::string& call_id, uint64_t gen);
/// The classroom recorded a connected call of ours that this participant
/// does not know (it replaced one that died with its gateway): take it up.
void resume_call(self_ptr self, const signal::ClassroomSnapshot& snap);

// -- participant_devices.cpp -------------------------------------------------------
caf::result<caf::ok_atom> on_device_request(self_ptr self, const signal::DeviceRequest& req);
reply on_device_ack(self_ptr self, uint64_t rid, const signal::DeviceAck& x);
void on_device_deadline(self_ptr self, const std::string& command_id);
/// Device requests still waiting for this lamp, pushed again (a reconnect).
void push_pending_commands(self_ptr self);

// -- participant_requests.cpp ------------------------------------------------------
/// One client request of a joined participant, by concern.
reply on_client(self_ptr self, const signal::ClientMessage& m);

} // namespace lamplight::actors::participant_detail
