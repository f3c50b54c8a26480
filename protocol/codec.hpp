#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lamplight/signal/v1/envelope.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// Browsers speak the proto3 JSON mapping on text frames; lamps speak binary
/// protobuf on binary frames.
enum class wire_format : uint8_t { json, binary };
const char* to_string(wire_format x);

struct codec_limits {
  /// Largest frame accepted from a client. Larger: errc::payload_too_large.
  std::size_t max_frame_bytes = 64 * 1024;
};

/// Decodes a client frame. Errors: payload_too_large; bad_request for
/// malformed JSON/protobuf or an empty body; unknown_message for an unknown
/// JSON field or body type, or unknown protobuf fields.
result<signal::v1::ClientMessage> decode_client(std::string_view frame, wire_format fmt,
                                                const codec_limits& limits = {});
std::string encode_server(const signal::v1::ServerMessage& msg, wire_format fmt);

/// The client side of the same mapping (lamp client, shell, tests, bench).
result<signal::v1::ServerMessage> decode_server(std::string_view frame, wire_format fmt,
                                                const codec_limits& limits = {});
std::string encode_client(const signal::v1::ClientMessage& msg, wire_format fmt);

/// Best effort: the request_id of a frame that failed to decode (0 if none can
/// be read), so the error still answers the right request.
uint64_t peek_request_id(std::string_view frame, wire_format fmt);

/// A ServerMessage carrying an Error.
signal::v1::ServerMessage make_error(uint64_t request_id, errc code, std::string message);
signal::v1::ServerMessage make_error(uint64_t request_id, const error& e);

/// The answer to a Ping: the client's time echoed, the server's time added.
signal::v1::ServerMessage make_pong(uint64_t request_id, int64_t client_time_ms,
                                    int64_t server_time_ms);

} // namespace lamplight::protocol
