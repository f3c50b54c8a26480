#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transport/srtp_session.hpp"

namespace lamplight::transport {

/// A self-signed ECDSA P-256 certificate (RFC 8827 section 6.5) for DTLS,
/// with its SHA-256 fingerprint as SDP writes it (RFC 8122):
/// "sha-256 AB:CD:...". One per node or media worker is enough.
class dtls_certificate {
public:
  static std::shared_ptr<dtls_certificate> generate();
  ~dtls_certificate();
  const std::string& fingerprint() const { return fingerprint_; }
  void* x509() const { return x509_; }
  void* key() const { return key_; }

private:
  dtls_certificate() = default;
  void* x509_ = nullptr;  // X509*
  void* key_ = nullptr;   // EVP_PKEY*
  std::string fingerprint_;
};

enum class dtls_role : uint8_t { client, server };
enum class dtls_state : uint8_t { connecting, connected, failed, closed };
const char* to_string(dtls_role x);
const char* to_string(dtls_state x);

/// The SRTP keys DTLS-SRTP produced (RFC 5764 section 4.2).
struct srtp_keys {
  srtp_profile profile = srtp_profile::aead_aes_128_gcm;
  std::vector<uint8_t> local;   // key || salt for what we send
  std::vector<uint8_t> remote;  // key || salt for what we receive
};

/// One DTLS 1.2 association over a datagram path we do not own (the ICE
/// port's socket). Datagrams in via on_datagram, out via the send callback,
/// one record flight piece per datagram and never above the MTU. Time is the
/// caller's: it asks next_timeout() and calls on_timeout(). After the
/// handshake the peer's certificate must match the fingerprint from its SDP,
/// else the session fails.
class dtls_session {
public:
  using send_fn = std::function<void(const uint8_t* data, std::size_t size)>;

  dtls_session(std::shared_ptr<dtls_certificate> cert, dtls_role role,
               std::string remote_fingerprint, send_fn send, std::size_t mtu = 1200);
  ~dtls_session();
  dtls_session(const dtls_session&) = delete;
  dtls_session& operator=(const dtls_session&) = delete;

  /// The client sends its ClientHello; the server waits.
  void start();
  /// A datagram from the peer (first byte 20..63).
  void on_datagram(const uint8_t* data, std::size_t size);
  /// Retransmits the last flight if its timer ran out.
  void on_timeout();
  /// Time until on_timeout() is due while the handshake runs.
  std::optional<std::chrono::milliseconds> next_timeout() const;

  dtls_state state() const { return state_; }
  const std::string& error() const { return error_; }
  /// Set once connected.
  const std::optional<srtp_keys>& keys() const { return keys_; }

  /// Application data (SCTP for data channels); false unless connected.
  bool send_application(const uint8_t* data, std::size_t size);
  /// Application data received since the last call.
  std::vector<std::vector<uint8_t>> take_application();

private:
  void drive();
  void fail(std::string why);
  void on_connected();

  struct impl;
  std::unique_ptr<impl> impl_;
  dtls_role role_;
  std::string remote_fingerprint_;
  dtls_state state_ = dtls_state::connecting;
  std::string error_;
  std::optional<srtp_keys> keys_;
  std::vector<std::vector<uint8_t>> app_in_;
};

/// "sha-256 AB:CD:..." of a DER certificate.
std::string sha256_fingerprint(const uint8_t* der, std::size_t size);

} // namespace lamplight::transport
