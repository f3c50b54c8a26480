#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <netinet/in.h>

namespace lamplight::transport {

/// A 5-tuple's remote half, comparable so it can key a map.
struct endpoint_key {
  sockaddr_storage addr{};
  static endpoint_key of(const sockaddr_storage& a);
  friend bool operator<(const endpoint_key& a, const endpoint_key& b);
  friend bool operator==(const endpoint_key& a, const endpoint_key& b);
};

/// The STUN side of an ICE-lite agent (RFC 8445 section 2.5) for many
/// sessions sharing one UDP port, as an SFU media worker runs it: a Binding
/// request is routed by the local ufrag in its USERNAME, authenticated with
/// that session's password (MESSAGE-INTEGRITY) and answered with
/// XOR-MAPPED-ADDRESS; the request's source becomes a valid 5-tuple of the
/// session, after which DTLS and SRTP from that address are routed by it.
/// A session that sends no check for `consent_timeout` loses its tuples
/// (consent freshness, RFC 7675). Pure: no socket, time injected.
class ice_lite {
public:
  using session_id = uint64_t;

  struct config {
    int64_t consent_timeout_ms = 30000;
    std::string software = "lamplight";
  };

  /// What to do with one STUN datagram.
  struct verdict {
    std::vector<uint8_t> response;      // send this back to the source (may be empty)
    std::optional<session_id> session;  // whose it was, once authenticated
    bool nominated = false;             // USE-CANDIDATE: the tuple is selected
    const char* drop_reason = nullptr;  // set when dropped without a response
  };

  struct counters {
    uint64_t answered = 0;
    uint64_t malformed = 0;
    uint64_t unknown_ufrag = 0;
    uint64_t bad_integrity = 0;
    uint64_t role_conflict = 0;
    uint64_t expired_sessions = 0;
  };

  ice_lite() : ice_lite(config{}) {}
  explicit ice_lite(config cfg) : cfg_(std::move(cfg)) {}

  /// Registers a session: our ufrag and password (from our SDP) and the
  /// peer's ufrag (from its SDP). The ufrag must be unique on this port.
  std::optional<session_id> add_session(std::string local_ufrag, std::string local_pwd,
                                        std::string remote_ufrag);
  void remove_session(session_id id);

  verdict on_stun(const uint8_t* data, std::size_t size, const sockaddr_storage& from,
                  int64_t now_ms);

  /// The session a non-STUN datagram from `from` belongs to (DTLS, SRTP).
  std::optional<session_id> route(const sockaddr_storage& from) const;
  /// The tuple to send to: the nominated one, else the latest valid one.
  std::optional<sockaddr_storage> selected(session_id id) const;

  /// Drops sessions' tuples whose consent ran out; returns those sessions.
  std::vector<session_id> expire(int64_t now_ms);

  const counters& stats() const { return stats_; }
  std::size_t sessions() const { return sessions_.size(); }

private:
  struct session {
    std::string local_ufrag;
    std::string local_pwd;
    std::string remote_ufrag;
    std::vector<endpoint_key> tuples;
    std::optional<endpoint_key> nominated;
    int64_t last_check_ms = 0;
  };

  config cfg_;
  session_id next_id_ = 1;
  std::map<session_id, session> sessions_;
  std::map<std::string, session_id> by_ufrag_;
  std::map<endpoint_key, session_id> by_tuple_;
  counters stats_;
};

/// Random ICE credentials (RFC 8839 section 5.4): 4-character ufrag (24
/// bits of randomness) and 22-character password (128 bits), ice-char only.
std::string random_ice_string(std::size_t length);

} // namespace lamplight::transport
