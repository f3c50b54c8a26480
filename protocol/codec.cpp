#include "protocol/codec.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/wire_format_lite.h>

namespace lamplight::protocol {

namespace {

namespace pb = google::protobuf;

/// Unknown fields anywhere in the tree: a peer speaking a newer or different
/// schema. We refuse rather than silently drop what it meant.
bool has_unknown_fields(const pb::Message& m) {
  auto* refl = m.GetReflection();
  if (!refl->GetUnknownFields(m).empty())
    return true;
  std::vector<const pb::FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (auto* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE)
      continue;
    if (f->is_repeated()) {
      for (int i = 0, n = refl->FieldSize(m, f); i < n; ++i)
        if (has_unknown_fields(refl->GetRepeatedMessage(m, f, i)))
          return true;
    } else if (has_unknown_fields(refl->GetMessage(m, f))) {
      return true;
    }
  }
  return false;
}

template <class Message>
result<Message> decode(std::string_view frame, wire_format fmt, const codec_limits& limits,
                       bool (*has_body)(const Message&)) {
  if (frame.size() > limits.max_frame_bytes)
    return error{errc::payload_too_large, "frame of " + std::to_string(frame.size())
                                            + " bytes exceeds the limit of "
                                            + std::to_string(limits.max_frame_bytes)};
  Message msg;
  if (fmt == wire_format::json) {
    pb::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = false;
    auto st = pb::util::JsonStringToMessage(pb::StringPiece(frame.data(), frame.size()), &msg,
                                            opts);
    if (!st.ok()) {
      std::string why(st.message());
      // The parser reports unknown names this way; anything else is syntax
      // or a type mismatch.
      bool unknown = why.find("Cannot find field") != std::string::npos
                     || why.find("invalid enum") != std::string::npos
                     || why.find("Invalid enum") != std::string::npos;
      return error{unknown ? errc::unknown_message : errc::bad_request,
                   std::string(unknown ? "unknown field or value: " : "malformed JSON: ")
                     + why};
    }
  } else {
    pb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(frame.data()),
                                static_cast<int>(frame.size()));
    in.SetRecursionLimit(32);
    if (!msg.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      return error{errc::bad_request, "malformed protobuf"};
    if (has_unknown_fields(msg))
      return error{errc::unknown_message, "unknown protobuf field or message type"};
  }
  if (!has_body(msg))
    return error{errc::bad_request, "message has no body"};
  return msg;
}

std::string encode(const pb::Message& msg, wire_format fmt) {
  std::string out;
  if (fmt == wire_format::json) {
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = false;  // lowerCamelCase, the canonical mapping
    (void) pb::util::MessageToJsonString(msg, &out, opts);
  } else {
    msg.SerializeToString(&out);
  }
  return out;
}

} // namespace

const char* to_string(wire_format x) {
  switch (x) {
    case wire_format::json: return "json";
    case wire_format::binary: return "binary";
  }
  return "unknown";
}

result<signal::v1::ClientMessage> decode_client(std::string_view frame, wire_format fmt,
                                                const codec_limits& limits) {
  return decode<signal::v1::ClientMessage>(frame, fmt, limits, [](const auto& m) {
    return m.body_case() != signal::v1::ClientMessage::BODY_NOT_SET;
  });
}

result<signal::v1::ServerMessage> decode_server(std::string_view frame, wire_format fmt,
                                                const codec_limits& limits) {
  return decode<signal::v1::ServerMessage>(frame, fmt, limits, [](const auto& m) {
    return m.body_case() != signal::v1::ServerMessage::BODY_NOT_SET;
  });
}

std::string encode_server(const signal::v1::ServerMessage& msg, wire_format fmt) {
  return encode(msg, fmt);
}

std::string encode_client(const signal::v1::ClientMessage& msg, wire_format fmt) {
  return encode(msg, fmt);
}

uint64_t peek_request_id(std::string_view frame, wire_format fmt) {
  if (frame.size() > 1024 * 1024)
    return 0;
  if (fmt == wire_format::binary) {
    // Walk top-level fields only until field 1 (request_id, varint) shows up.
    pb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(frame.data()),
                                static_cast<int>(frame.size()));
    for (int guard = 0; guard < 64; ++guard) {
      auto tag = in.ReadTag();
      if (tag == 0)
        return 0;
      if (tag == pb::internal::WireFormatLite::MakeTag(
            1, pb::internal::WireFormatLite::WIRETYPE_VARINT)) {
        uint64_t id = 0;
        return in.ReadVarint64(&id) ? id : 0;
      }
      if (!pb::internal::WireFormatLite::SkipField(&in, tag))
        return 0;
    }
    return 0;
  }
  // JSON: look for "requestId" (or the proto name) followed by a number or a
  // quoted number (int64 is a string in the JSON mapping).
  for (std::string_view key : {"\"requestId\"", "\"request_id\""}) {
    auto pos = frame.find(key);
    if (pos == std::string_view::npos)
      continue;
    pos += key.size();
    while (pos < frame.size() && (frame[pos] == ' ' || frame[pos] == ':' || frame[pos] == '"'
                                  || frame[pos] == '\t' || frame[pos] == '\n'))
      ++pos;
    uint64_t id = 0;
    int digits = 0;
    while (pos < frame.size() && frame[pos] >= '0' && frame[pos] <= '9' && digits < 20) {
      id = id * 10 + static_cast<uint64_t>(frame[pos++] - '0');
      ++digits;
    }
    return digits > 0 ? id : 0;
  }
  return 0;
}

signal::v1::ServerMessage make_error(uint64_t request_id, errc code, std::string message) {
  signal::v1::ServerMessage out;
  out.set_request_id(request_id);
  auto* e = out.mutable_error();
  e->set_code(to_proto(code));
  e->set_message(std::move(message));
  return out;
}

signal::v1::ServerMessage make_error(uint64_t request_id, const error& e) {
  return make_error(request_id, e.code, e.message);
}

signal::v1::ServerMessage make_pong(uint64_t request_id, int64_t client_time_ms,
                                    int64_t server_time_ms) {
  signal::v1::ServerMessage out;
  out.set_request_id(request_id);
  out.mutable_pong()->set_client_time_ms(client_time_ms);
  out.mutable_pong()->set_server_time_ms(server_time_ms);
  return out;
}

} // namespace lamplight::protocol
