#pragma once

// The words the history and the server API use for the signaling protocol's
// enums ("teacher", "one_on_one", "ring_timeout"): the enum's own name, its
// prefix off, in lower case. One rule, so the API's words and the proto's
// can never drift apart.

#include <string>
#include <string_view>

#include "lamplight/signal/v1/classroom.pb.h"
#include "lamplight/signal/v1/stream.pb.h"
#include "lamplight/signal/v1/workflow.pb.h"

namespace lamplight::backend {

std::string role_label(signal::v1::Role x);
std::string mode_label(signal::v1::ClassroomMode x);
std::string call_end_label(signal::v1::CallEndReason x);
std::string hand_outcome_label(signal::v1::HandOutcome x);
std::string track_kind_label(signal::v1::TrackKind x);
std::string track_source_label(signal::v1::TrackSource x);
std::string call_phase_label(signal::v1::CallPhase x);
std::string device_state_label(signal::v1::DeviceCommandState x);  // "done", "timed_out", ...

/// `x` as a JSON string literal, quotes included (UTF-8 passes through;
/// control characters, quotes and backslashes are escaped).
std::string json_string(std::string_view x);

} // namespace lamplight::backend
