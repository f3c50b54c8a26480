#include "transport/dcep.hpp"

#include "transport/byte_order.hpp"

namespace lamplight::transport {

const char* to_string(dcep_channel_type x) {
  switch (x) {
    case dcep_channel_type::reliable: return "reliable";
    case dcep_channel_type::reliable_unordered: return "reliable_unordered";
    case dcep_channel_type::partial_reliable_rexmit: return "partial_reliable_rexmit";
    case dcep_channel_type::partial_reliable_rexmit_unordered:
      return "partial_reliable_rexmit_unordered";
    case dcep_channel_type::partial_reliable_timed: return "partial_reliable_timed";
    case dcep_channel_type::partial_reliable_timed_unordered:
      return "partial_reliable_timed_unordered";
  }
  return "?";
}

namespace {

constexpr uint8_t type_ack = 0x02;
constexpr uint8_t type_open = 0x03;
constexpr std::size_t open_header = 12;

bool known(uint8_t t) {
  switch (static_cast<dcep_channel_type>(t)) {
    case dcep_channel_type::reliable:
    case dcep_channel_type::reliable_unordered:
    case dcep_channel_type::partial_reliable_rexmit:
    case dcep_channel_type::partial_reliable_rexmit_unordered:
    case dcep_channel_type::partial_reliable_timed:
    case dcep_channel_type::partial_reliable_timed_unordered: return true;
  }
  return false;
}

} // namespace

std::optional<dcep_message> parse_dcep(const uint8_t* data, std::size_t size) {
  if (size == 0)
    return std::nullopt;
  if (data[0] == type_ack)
    return size == 1 ? std::optional<dcep_message>(dcep_ack{}) : std::nullopt;
  if (data[0] != type_open || size < open_header || !known(data[1]))
    return std::nullopt;
  dcep_open m;
  m.channel_type = static_cast<dcep_channel_type>(data[1]);
  m.priority = get16(data + 2);
  m.reliability = get32(data + 4);
  std::size_t label_len = get16(data + 8);
  std::size_t protocol_len = get16(data + 10);
  if (size != open_header + label_len + protocol_len)
    return std::nullopt;
  auto* label = reinterpret_cast<const char*>(data + open_header);
  m.label.assign(label, label_len);
  m.protocol.assign(label + label_len, protocol_len);
  return dcep_message(std::move(m));
}

std::vector<uint8_t> write_dcep(const dcep_open& m) {
  std::vector<uint8_t> out(open_header);
  out[0] = type_open;
  out[1] = static_cast<uint8_t>(m.channel_type);
  set16(out.data() + 2, m.priority);
  set32(out.data() + 4, m.reliability);
  set16(out.data() + 8, static_cast<uint16_t>(m.label.size()));
  set16(out.data() + 10, static_cast<uint16_t>(m.protocol.size()));
  out.insert(out.end(), m.label.begin(), m.label.end());
  out.insert(out.end(), m.protocol.begin(), m.protocol.end());
  return out;
}

std::vector<uint8_t> write_dcep(const dcep_ack&) {
  return {type_ack};
}

} // namespace lamplight::transport
