#include "backend/history_labels.hpp"

#include <cctype>
#include <cstdio>

namespace lamplight::backend {

namespace {

/// "CALL_END_RING_TIMEOUT" less "CALL_END_" → "ring_timeout"; "" for the
/// UNSPECIFIED value or a number the proto does not know.
std::string label(const std::string& name, std::string_view prefix) {
  if (name.rfind(prefix, 0) != 0)
    return {};
  auto rest = name.substr(prefix.size());
  if (rest == "UNSPECIFIED")
    return {};
  for (auto& c : rest)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return rest;
}

} // namespace

std::string role_label(signal::v1::Role x) { return label(signal::v1::Role_Name(x), "ROLE_"); }

std::string mode_label(signal::v1::ClassroomMode x) {
  return label(signal::v1::ClassroomMode_Name(x), "MODE_");
}

std::string call_end_label(signal::v1::CallEndReason x) {
  return label(signal::v1::CallEndReason_Name(x), "CALL_END_");
}

std::string hand_outcome_label(signal::v1::HandOutcome x) {
  return label(signal::v1::HandOutcome_Name(x), "HAND_OUTCOME_");
}

std::string track_kind_label(signal::v1::TrackKind x) {
  return label(signal::v1::TrackKind_Name(x), "TRACK_KIND_");
}

std::string track_source_label(signal::v1::TrackSource x) {
  return label(signal::v1::TrackSource_Name(x), "TRACK_SOURCE_");
}

std::string call_phase_label(signal::v1::CallPhase x) {
  return label(signal::v1::CallPhase_Name(x), "CALL_PHASE_");
}

std::string device_state_label(signal::v1::DeviceCommandState x) {
  return label(signal::v1::DeviceCommandState_Name(x), "DEVICE_STATE_");
}

std::string json_string(std::string_view x) {
  std::string out = "\"";
  for (char c : x) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

} // namespace lamplight::backend
