#include "transport/data_channel.hpp"

namespace lamplight::transport {

namespace {

/// What SCTP's partial reliability is told for a channel type.
void reliability_of(const data_channel_info& c, std::optional<uint32_t>& rtx,
                    std::optional<uint32_t>& lifetime) {
  switch (c.type) {
    case dcep_channel_type::partial_reliable_rexmit:
    case dcep_channel_type::partial_reliable_rexmit_unordered: rtx = c.reliability; break;
    case dcep_channel_type::partial_reliable_timed:
    case dcep_channel_type::partial_reliable_timed_unordered: lifetime = c.reliability; break;
    default: break;
  }
}

bool ordered(dcep_channel_type t) {
  return (static_cast<uint8_t>(t) & 0x80) == 0;
}

} // namespace

data_channel_endpoint::data_channel_endpoint(bool dtls_client, std::size_t max_message)
  : sctp_(max_message), dtls_client_(dtls_client), next_stream_(dtls_client ? 0 : 1) {}

void data_channel_endpoint::on_dtls_data(const uint8_t* data, std::size_t size) {
  sctp_.on_packet(data, size);
  while (auto m = sctp_.receive())
    on_sctp_message(std::move(*m));
}

void data_channel_endpoint::on_sctp_message(sctp_association::message m) {
  if (m.ppid == ppid::dcep) {
    auto d = parse_dcep(m.data.data(), m.data.size());
    if (!d) {
      ++stats_.malformed_dcep;
      return;
    }
    if (auto* open = std::get_if<dcep_open>(&*d)) {
      // The peer opens on its own parity (RFC 8832 section 6); a stream
      // already in use is an error we drop rather than reuse.
      bool theirs = (m.stream % 2 == 0) != dtls_client_;
      if (!theirs || channels_.count(m.stream) != 0) {
        ++stats_.malformed_dcep;
        return;
      }
      channels_[m.stream] = {m.stream, open->label, open->protocol, open->channel_type,
                             open->reliability, true};
      auto ack = write_dcep(dcep_ack{});
      sctp_.send(m.stream, ppid::dcep, ack.data(), ack.size());
    } else {
      auto c = channels_.find(m.stream);
      if (c == channels_.end()) {
        ++stats_.malformed_dcep;
        return;
      }
      c->second.open = true;
    }
    return;
  }
  auto c = channels_.find(m.stream);
  if (c == channels_.end()) {
    ++stats_.unknown_stream;
    return;
  }
  data_channel_message out{m.stream, c->second.label, false, {}};
  switch (m.ppid) {
    case ppid::string: out.data = std::move(m.data); break;
    case ppid::binary:
      out.binary = true;
      out.data = std::move(m.data);
      break;
    case ppid::string_empty: break;
    case ppid::binary_empty: out.binary = true; break;
    default: ++stats_.unknown_ppid; return;
  }
  // A message on our channel before its ACK also acknowledges it (RFC 8832
  // section 6).
  c->second.open = true;
  ++stats_.messages_in;
  messages_.push_back(std::move(out));
}

std::optional<uint16_t> data_channel_endpoint::open(const std::string& label,
                                                    dcep_channel_type type, uint32_t reliability,
                                                    const std::string& protocol) {
  if (sctp_.state() != sctp_state::open || next_stream_ >= 1024)
    return std::nullopt;
  auto stream = next_stream_;
  dcep_open o{type, 256, reliability, label, protocol};
  auto bytes = write_dcep(o);
  // The OPEN itself is always reliable and ordered (section 6).
  if (sctp_.send(stream, ppid::dcep, bytes.data(), bytes.size())
      != sctp_association::send_result::ok)
    return std::nullopt;
  next_stream_ = static_cast<uint16_t>(next_stream_ + 2);
  channels_[stream] = {stream, label, protocol, type, reliability, false};
  return stream;
}

sctp_association::send_result data_channel_endpoint::send(uint16_t stream, bool binary,
                                                          const uint8_t* data, std::size_t size) {
  auto c = channels_.find(stream);
  if (c == channels_.end())
    return sctp_association::send_result::closed;
  std::optional<uint32_t> rtx, lifetime;
  reliability_of(c->second, rtx, lifetime);
  uint32_t p = binary ? (size ? ppid::binary : ppid::binary_empty)
                      : (size ? ppid::string : ppid::string_empty);
  auto r = sctp_.send(stream, p, data, size, ordered(c->second.type), rtx, lifetime);
  if (r == sctp_association::send_result::ok)
    ++stats_.messages_out;
  return r;
}

const data_channel_info* data_channel_endpoint::channel(uint16_t stream) const {
  auto c = channels_.find(stream);
  return c == channels_.end() ? nullptr : &c->second;
}

const data_channel_info* data_channel_endpoint::channel(const std::string& label) const {
  for (const auto& [s, c] : channels_)
    if (c.label == label)
      return &c;
  return nullptr;
}

} // namespace lamplight::transport
