#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transport/dcep.hpp"
#include "transport/sctp_association.hpp"

namespace lamplight::transport {

struct data_channel_info {
  uint16_t stream = 0;
  std::string label;
  std::string protocol;
  dcep_channel_type type = dcep_channel_type::reliable;
  uint32_t reliability = 0;
  bool open = false;  // ours: acknowledged; theirs: at once
};

struct data_channel_message {
  uint16_t stream = 0;
  std::string label;
  bool binary = false;
  std::vector<uint8_t> data;
};

struct data_channel_stats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t malformed_dcep = 0;   // DCEP that did not parse, or an OPEN on a taken stream
  uint64_t unknown_stream = 0;   // data on a stream no channel was opened on
  uint64_t unknown_ppid = 0;
};

/// WebRTC data channels (RFC 8831) over one SCTP association that rides
/// on DTLS: channels opened with DCEP (RFC 8832) by either end (the DTLS
/// client on even streams, the server on odd ones), string and binary
/// messages (PPID 51/53, empty ones as 56/57), ordered or not, reliable or
/// partially reliable, as each channel was opened.
class data_channel_endpoint {
public:
  /// `max_message`: larger messages are dropped (counted by the
  /// association) and refused on send; RFC 8841 a=max-message-size.
  data_channel_endpoint(bool dtls_client, std::size_t max_message = 256 * 1024);

  /// Starts SCTP; call once DTLS is connected.
  void start() { sctp_.connect(); }
  /// DTLS application data from the peer.
  void on_dtls_data(const uint8_t* data, std::size_t size);
  /// SCTP packets to send as DTLS application data.
  std::vector<std::vector<uint8_t>> take_outgoing() { return sctp_.take_outgoing(); }
  /// User messages received since the last call.
  std::vector<data_channel_message> take_messages() { return std::exchange(messages_, {}); }

  /// Opens a channel; its stream id, or nullopt before SCTP is up.
  std::optional<uint16_t> open(const std::string& label,
                               dcep_channel_type type = dcep_channel_type::reliable,
                               uint32_t reliability = 0, const std::string& protocol = "");
  sctp_association::send_result send(uint16_t stream, bool binary, const uint8_t* data,
                                     std::size_t size);
  sctp_association::send_result send_text(uint16_t stream, const std::string& text) {
    return send(stream, false, reinterpret_cast<const uint8_t*>(text.data()), text.size());
  }

  const data_channel_info* channel(uint16_t stream) const;
  const data_channel_info* channel(const std::string& label) const;
  const std::map<uint16_t, data_channel_info>& channels() const { return channels_; }
  sctp_state state() const { return sctp_.state(); }
  const data_channel_stats& stats() const { return stats_; }
  uint64_t oversized_dropped() const { return sctp_.oversized_dropped(); }

private:
  void on_sctp_message(sctp_association::message m);

  sctp_association sctp_;
  bool dtls_client_;
  uint16_t next_stream_;
  std::map<uint16_t, data_channel_info> channels_;
  std::vector<data_channel_message> messages_;
  data_channel_stats stats_;
};

} // namespace lamplight::transport
