#include "protocol/photo_transfer.hpp"

#include "protocol/digest.hpp"

#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>

namespace lamplight::protocol {

namespace pb = google::protobuf;

bool is_node_channel(const std::string& label) {
  return label.rfind("lamplight.", 0) == 0;
}

std::string write_photo_control(const signal::v1::PhotoControl& m) {
  std::string out;
  pb::util::JsonPrintOptions opts;
  (void) pb::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::optional<signal::v1::PhotoControl> parse_photo_control(const std::string& text) {
  signal::v1::PhotoControl m;
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!pb::util::JsonStringToMessage(pb::StringPiece(text.data(), text.size()), &m, opts).ok())
    return std::nullopt;
  if (m.type().rfind("photo-", 0) != 0)
    return std::nullopt;
  return m;
}

std::string sha256_hex(const void* data, std::size_t size) {
  return sha256_hex(std::string_view(static_cast<const char*>(data), size));
}

photo_assembler::status photo_assembler::fail(std::string why) {
  active_ = false;
  bytes_.clear();
  bytes_.shrink_to_fit();
  reason_ = std::move(why);
  return status::failed;
}

photo_assembler::status photo_assembler::on_text(const std::string& text) {
  auto m = parse_photo_control(text);
  if (!m)
    return status::ignored;
  if (m->type() == "photo-begin") {
    // A new begin abandons an unfinished upload: the lamp is retrying.
    active_ = false;
    bytes_.clear();
    header_ = *m;
    if (m->command_id().empty())
      return fail("photo-begin without a command id");
    if (m->size() == 0 || m->size() > photo_max_bytes)
      return fail("photo size " + std::to_string(m->size()) + " is not in 1.."
                  + std::to_string(photo_max_bytes));
    if (m->sha256().size() != 64)
      return fail("photo-begin needs the SHA-256 of the photo in hex");
    if (m->content_type() != "image/jpeg")
      return fail("only image/jpeg photos are taken");
    active_ = true;
    bytes_.reserve(m->size());
    return status::receiving;
  }
  if (m->type() == "photo-end") {
    if (!active_ || m->command_id() != header_.command_id())
      return status::ignored;
    if (bytes_.size() != header_.size())
      return fail("got " + std::to_string(bytes_.size()) + " of "
                  + std::to_string(header_.size()) + " bytes");
    if (sha256_hex(bytes_.data(), bytes_.size()) != header_.sha256())
      return fail("the photo's SHA-256 does not match");
    active_ = false;
    return status::complete;
  }
  return status::ignored;
}

photo_assembler::status photo_assembler::on_binary(const uint8_t* data, std::size_t size) {
  if (!active_)
    return status::ignored;
  if (size > photo_max_chunk)
    return fail("a photo chunk is larger than " + std::to_string(photo_max_chunk) + " bytes");
  if (bytes_.size() + size > header_.size())
    return fail("more bytes than the " + std::to_string(header_.size()) + " announced");
  bytes_.append(reinterpret_cast<const char*>(data), size);
  return status::receiving;
}

std::string photo_assembler::take() {
  std::string out;
  out.swap(bytes_);
  return out;
}

const char* to_string(photo_assembler::status x) {
  switch (x) {
    case photo_assembler::status::receiving: return "receiving";
    case photo_assembler::status::complete: return "complete";
    case photo_assembler::status::failed: return "failed";
    case photo_assembler::status::ignored: return "ignored";
  }
  return "?";
}

} // namespace lamplight::protocol
