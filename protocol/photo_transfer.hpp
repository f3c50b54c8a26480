#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "lamplight/signal/v1/photo.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// The data channel label photos travel on (photo.proto describes the
/// exchange). Labels starting with "lamplight." are the node's own: the
/// SFU terminates them instead of relaying them to the classroom.
inline constexpr const char* photo_channel = "lamplight.photo";
bool is_node_channel(const std::string& label);

/// Largest photo (a 4032x3024 JPEG of a busy page is ~4 MiB) and largest
/// binary message the node takes; what lamps send per message.
inline constexpr uint64_t photo_max_bytes = 24u << 20;
inline constexpr std::size_t photo_max_chunk = 64 * 1024;
inline constexpr std::size_t photo_lamp_chunk = 64 * 1024;

/// The JSON text of a control message, and back (unknown fields ignored:
/// browsers may add their own). nullopt for anything that is not one.
std::string write_photo_control(const signal::v1::PhotoControl& m);
std::optional<signal::v1::PhotoControl> parse_photo_control(const std::string& text);

std::string sha256_hex(const void* data, std::size_t size);

/// The node's end of one upload: begin, chunks, end, checked against the
/// declared size and SHA-256. Pure: it only collects and checks.
class photo_assembler {
public:
  enum class status : uint8_t {
    receiving,  // more to come
    complete,   // the bytes are whole and match: take them
    failed,     // this upload is over: tell the lamp `reason()`
    ignored,    // not part of an upload (e.g. chunks with no begin)
  };

  status on_text(const std::string& text);
  status on_binary(const uint8_t* data, std::size_t size);

  /// The upload's begin message, after a begin.
  const signal::v1::PhotoControl& header() const { return header_; }
  const std::string& reason() const { return reason_; }
  /// The photo, once complete; the assembler is then idle again.
  std::string take();

private:
  status fail(std::string why);

  bool active_ = false;
  signal::v1::PhotoControl header_;
  std::string bytes_;
  std::string reason_;
};

const char* to_string(photo_assembler::status x);

} // namespace lamplight::protocol
