#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

struct socket;

namespace lamplight::transport {

struct sctp_outbox;

enum class sctp_state : uint8_t { connecting, open, closed };
const char* to_string(sctp_state x);

/// One SCTP association carried over DTLS (RFC 8261), as WebRTC data
/// channels use it (RFC 8831), on usrsctp in its no-threads mode: every
/// call happens on its owner's thread. SCTP packets come in through
/// on_packet and go out through take_outgoing (the owner encrypts them with
/// DTLS); complete messages come out of receive(), reassembled from
/// partial deliveries up to a size limit. usrsctp's state is process-wide,
/// so calls into it are serialized by one lock; its timers run from
/// tick(), which any owner may call.
class sctp_association {
public:
  struct message {
    uint16_t stream = 0;
    uint32_t ppid = 0;
    std::vector<uint8_t> data;
  };
  enum class send_result : uint8_t { ok, would_block, too_large, closed };
  friend const char* to_string(send_result x);

  /// `max_message` bounds what is reassembled (larger messages are dropped
  /// and counted) and what may be sent.
  explicit sctp_association(std::size_t max_message = 256 * 1024, uint16_t port = 5000);
  ~sctp_association();
  sctp_association(const sctp_association&) = delete;
  sctp_association& operator=(const sctp_association&) = delete;

  /// Starts the association (both ends do: SCTP resolves the collision).
  void connect(uint16_t remote_port = 5000);
  /// One SCTP packet from the peer (DTLS application data).
  void on_packet(const uint8_t* data, std::size_t size);
  /// SCTP packets to send to the peer, in order.
  std::vector<std::vector<uint8_t>> take_outgoing();
  /// The next complete message, if any.
  std::optional<message> receive();

  /// Queues one message. Unordered and partially reliable (at most
  /// `max_retransmits` retransmissions, or `max_lifetime_ms`) as the
  /// channel says.
  send_result send(uint16_t stream, uint32_t ppid, const uint8_t* data, std::size_t size,
                   bool ordered = true, std::optional<uint32_t> max_retransmits = std::nullopt,
                   std::optional<uint32_t> max_lifetime_ms = std::nullopt);

  sctp_state state() const { return state_; }
  uint64_t oversized_dropped() const { return oversized_; }

  /// Runs usrsctp's timers for the time passed since the last call by any
  /// owner (retransmissions, heartbeats).
  static void tick();
  /// The same with the time given: tests drive usrsctp's clock themselves.
  static void advance_timers(uint32_t elapsed_ms);

private:
  void read_socket();

  uintptr_t id_ = 0;
  struct ::socket* sock_ = nullptr;
  uint16_t port_;
  std::size_t max_message_;
  std::shared_ptr<sctp_outbox> out_;
  sctp_state state_ = sctp_state::connecting;
  struct partial {
    message msg;
    bool dropping = false;  // past max_message: discarded until its end
  };
  std::map<uint16_t, partial> partial_;  // by stream, until MSG_EOR
  std::vector<message> ready_;
  std::size_t ready_head_ = 0;
  uint64_t oversized_ = 0;
};

} // namespace lamplight::transport
