#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// Phases of one side of a call. Values equal signal::v1::CallPhase
/// (CALL_PHASE_UNSPECIFIED doubles as idle).
///
///   caller: idle -> inviting -> ringing -> connecting -> connected -> ended
///   callee: idle ------------> ringing -> connecting -> connected -> ended
///
/// `connecting` is the media set-up: the side is connected once its own media
/// and its peer's media are both ready, or ends on the media-setup timeout.
enum class call_phase : uint8_t {
  idle = 0,
  inviting = 1,
  ringing = 2,
  connecting = 3,
  connected = 4,
  ended = 5,
};
const char* to_string(call_phase x);

/// Values equal signal::v1::CallEndReason.
enum class call_end_reason : uint8_t {
  none = 0,
  rejected = 1,
  cancelled = 2,
  busy = 3,
  ring_timeout = 4,
  media_timeout = 5,
  hangup = 6,
  peer_dropped = 7,
  failed = 8,
};
const char* to_string(call_end_reason x);

enum class call_side : uint8_t { caller, callee };
const char* to_string(call_side x);

/// What one side tells the other (through the classroom) when it moves.
enum class call_signal : uint8_t {
  alerted,        // callee -> caller: it is ringing
  busy,           // callee -> caller: already in a call
  unreachable,    // classroom -> caller: callee gone
  accepted,       // callee -> caller
  rejected,       // callee -> caller
  cancelled,      // caller -> callee
  media_ready,    // either: my media is up
  hangup,         // either
  ring_timeout,   // either: my ring timer fired
  media_timeout,  // either: my media-setup timer fired
  dropped,        // classroom -> either: the peer vanished
};
const char* to_string(call_signal x);

/// How a call ends for the side that receives `s`: the one mapping from
/// moves to end reasons, used by the call machine (on_peer) and by the
/// classroom that records each call (the web pages only label the
/// resulting CallEndReason). call_end_reason::none for the moves that do
/// not end a call (alerted, accepted, media_ready).
call_end_reason end_reason(call_signal s);

/// Timer work the owner must do after a transition.
enum class call_timer : uint8_t {
  keep,         // leave timers as they are
  start_ring,   // (re)start the ring timer
  start_media,  // stop the ring timer, start the media-setup timer
  stop,         // stop every call timer
};
const char* to_string(call_timer x);

/// Outcome of feeding one input to a call_machine. On error nothing changed.
struct call_step {
  errc error = errc::none;
  call_phase phase = call_phase::idle;       // phase after the input
  std::optional<call_signal> tell_peer;      // send this to the peer, if set
  call_timer timer = call_timer::keep;
  bool changed = false;                      // phase (or readiness) changed
};

/// One side's call state machine. Pure: no clock, no I/O; the owner runs the
/// timers it asks for and feeds their expiry back. Every input that does not
/// fit the phase (or the side) returns errc::wrong_state (or
/// errc::permission_denied for the wrong side) and changes nothing.
class call_machine {
public:
  call_machine() = default;
  call_machine(std::string call_id, call_side side, std::string peer);

  /// A side of a call that was connected before its participant was
  /// replaced (its gateway died, the client came back through another):
  /// connected, both media ready, as the classroom recorded it.
  static call_machine resumed(std::string call_id, call_side side, std::string peer);

  // -- inputs from this side's own client ------------------------------------
  call_step invite();       // caller: idle -> inviting; starts ring timer
  call_step accept();       // callee: ringing -> connecting; tells accepted
  call_step reject();       // callee: ringing -> ended(rejected)
  call_step cancel();       // caller: inviting|ringing -> ended(cancelled)
  call_step hangup();       // connecting|connected -> ended(hangup)
  call_step media_ready();  // connecting: local media up; tells media_ready

  // -- inputs from the classroom ---------------------------------------------
  call_step incoming();              // callee: idle -> ringing; starts ring timer
  call_step on_peer(call_signal s);  // the peer's (or classroom's) signal

  // -- timers ----------------------------------------------------------------
  call_step ring_timeout();   // inviting|ringing -> ended(ring_timeout)
  call_step media_timeout();  // connecting -> ended(media_timeout)

  // -- observers -------------------------------------------------------------
  const std::string& call_id() const { return call_id_; }
  const std::string& peer() const { return peer_; }
  call_side side() const { return side_; }
  call_phase phase() const { return phase_; }
  call_end_reason reason() const { return reason_; }
  bool active() const { return phase_ != call_phase::idle && phase_ != call_phase::ended; }
  bool local_media_ready() const { return local_ready_; }
  bool peer_media_ready() const { return peer_ready_; }

private:
  call_step end(call_end_reason why, std::optional<call_signal> tell);
  call_step fail(errc code) const;

  std::string call_id_;
  std::string peer_;
  call_side side_ = call_side::caller;
  call_phase phase_ = call_phase::idle;
  call_end_reason reason_ = call_end_reason::none;
  bool local_ready_ = false;
  bool peer_ready_ = false;
};

} // namespace lamplight::protocol
