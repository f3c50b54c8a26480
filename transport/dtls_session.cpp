#include "transport/dtls_session.hpp"

#include <cstdio>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace lamplight::transport {

namespace {

X509* as_x509(void* p) {
  return static_cast<X509*>(p);
}
EVP_PKEY* as_key(void* p) {
  return static_cast<EVP_PKEY*>(p);
}

std::string openssl_error() {
  char buf[256];
  auto code = ERR_get_error();
  if (code == 0)
    return "unknown OpenSSL error";
  ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

/// The write side: every BIO write is one datagram handed to the session's
/// send callback. A memory BIO would merge a whole flight into one datagram
/// above the MTU.
struct write_target {
  dtls_session::send_fn send;
  std::size_t mtu;
};

BIO_METHOD* datagram_method() {
  static BIO_METHOD* method = [] {
    auto* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "lamplight-dgram");
    BIO_meth_set_write(m, [](BIO* b, const char* data, int len) -> int {
      auto* t = static_cast<write_target*>(BIO_get_data(b));
      if (t && len > 0)
        t->send(reinterpret_cast<const uint8_t*>(data), static_cast<std::size_t>(len));
      return len;
    });
    BIO_meth_set_ctrl(m, [](BIO* b, int cmd, long, void*) -> long {
      auto* t = static_cast<write_target*>(BIO_get_data(b));
      switch (cmd) {
        case BIO_CTRL_FLUSH:
          return 1;
        case BIO_CTRL_DGRAM_QUERY_MTU:
        case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
          return t ? static_cast<long>(t->mtu) : 1200;
        case BIO_CTRL_WPENDING:
        case BIO_CTRL_PENDING:
          return 0;
        default:
          return 0;
      }
    });
    BIO_meth_set_create(m, [](BIO* b) -> int {
      BIO_set_init(b, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

} // namespace

std::string sha256_fingerprint(const uint8_t* der, std::size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(der, size, md, &len, EVP_sha256(), nullptr);
  std::string out = "sha-256 ";
  char hex[4];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof(hex), i + 1 < len ? "%02X:" : "%02X", md[i]);
    out += hex;
  }
  return out;
}

namespace {

std::string fingerprint_of(X509* x) {
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  if (len <= 0)
    return {};
  auto fp = sha256_fingerprint(der, static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return fp;
}

bool iequal(const std::string& a, const std::string& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i]))
        != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

} // namespace

std::shared_ptr<dtls_certificate> dtls_certificate::generate() {
  std::shared_ptr<dtls_certificate> c(new dtls_certificate);
  auto* key = EVP_EC_gen("prime256v1");
  auto* x = X509_new();
  if (!key || !x) {
    EVP_PKEY_free(key);
    X509_free(x);
    return nullptr;
  }
  X509_set_version(x, 2);
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial));
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
  X509_set_pubkey(x, key);
  auto* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lamplight"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (X509_sign(x, key, EVP_sha256()) == 0) {
    EVP_PKEY_free(key);
    X509_free(x);
    return nullptr;
  }
  c->x509_ = x;
  c->key_ = key;
  c->fingerprint_ = fingerprint_of(x);
  return c;
}

dtls_certificate::~dtls_certificate() {
  X509_free(as_x509(x509_));
  EVP_PKEY_free(as_key(key_));
}

const char* to_string(dtls_role x) {
  return x == dtls_role::client ? "client" : "server";
}

const char* to_string(dtls_state x) {
  switch (x) {
    case dtls_state::connecting: return "connecting";
    case dtls_state::connected: return "connected";
    case dtls_state::failed: return "failed";
    case dtls_state::closed: return "closed";
  }
  return "unknown";
}

struct dtls_session::impl {
  std::shared_ptr<dtls_certificate> cert;
  write_target target;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // owned by ssl
  ~impl() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
};

dtls_session::dtls_session(std::shared_ptr<dtls_certificate> cert, dtls_role role,
                           std::string remote_fingerprint, send_fn send, std::size_t mtu)
  : impl_(std::make_unique<impl>()), role_(role),
    remote_fingerprint_(std::move(remote_fingerprint)) {
  auto& d = *impl_;
  d.cert = std::move(cert);
  d.target = write_target{std::move(send), mtu};
  d.ctx = SSL_CTX_new(DTLS_method());
  if (!d.ctx || !d.cert) {
    fail("cannot create a DTLS context");
    return;
  }
  SSL_CTX_set_min_proto_version(d.ctx, DTLS1_2_VERSION);
  SSL_CTX_use_certificate(d.ctx, as_x509(d.cert->x509()));
  SSL_CTX_use_PrivateKey(d.ctx, as_key(d.cert->key()));
  // Self-signed on both sides: trust comes from the SDP fingerprint, checked
  // after the handshake, so accept any chain here but require a certificate.
  SSL_CTX_set_verify(d.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int, X509_STORE_CTX*) { return 1; });
  // Note: returns 0 on success.
  if (SSL_CTX_set_tlsext_use_srtp(d.ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0) {
    fail("cannot offer SRTP profiles");
    return;
  }
  SSL_CTX_set_read_ahead(d.ctx, 1);
  d.ssl = SSL_new(d.ctx);
  d.rbio = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(d.rbio, -1);
  auto* wbio = BIO_new(datagram_method());
  BIO_set_data(wbio, &d.target);
  SSL_set_bio(d.ssl, d.rbio, wbio);
  SSL_set_options(d.ssl, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(d.ssl, static_cast<long>(mtu));
  SSL_set_mtu(d.ssl, static_cast<long>(mtu - 28));  // minus IP and UDP headers
  if (role_ == dtls_role::client)
    SSL_set_connect_state(d.ssl);
  else
    SSL_set_accept_state(d.ssl);
}

dtls_session::~dtls_session() = default;

void dtls_session::fail(std::string why) {
  state_ = dtls_state::failed;
  error_ = std::move(why);
}

void dtls_session::start() {
  if (state_ == dtls_state::connecting && role_ == dtls_role::client)
    drive();
}

void dtls_session::drive() {
  auto& d = *impl_;
  if (state_ != dtls_state::connecting)
    return;
  int r = SSL_do_handshake(d.ssl);
  if (r == 1)
    return on_connected();
  int e = SSL_get_error(d.ssl, r);
  if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
    fail("DTLS handshake failed: " + openssl_error());
}

void dtls_session::on_connected() {
  auto& d = *impl_;
  X509* peer = SSL_get1_peer_certificate(d.ssl);
  if (!peer)
    return fail("peer sent no certificate");
  auto fp = fingerprint_of(peer);
  X509_free(peer);
  if (!iequal(fp, remote_fingerprint_))
    return fail("peer certificate does not match the SDP fingerprint");
  auto* profile = SSL_get_selected_srtp_profile(d.ssl);
  if (!profile)
    return fail("no SRTP profile negotiated");
  srtp_keys k;
  if (profile->id == SRTP_AEAD_AES_128_GCM)
    k.profile = srtp_profile::aead_aes_128_gcm;
  else if (profile->id == SRTP_AES128_CM_SHA1_80)
    k.profile = srtp_profile::aes128_cm_sha1_80;
  else
    return fail("unexpected SRTP profile");
  auto klen = srtp_key_length(k.profile), slen = srtp_salt_length(k.profile);
  std::vector<uint8_t> material(2 * (klen + slen));
  static constexpr char label[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(d.ssl, material.data(), material.size(), label,
                                 sizeof(label) - 1, nullptr, 0, 0)
      != 1)
    return fail("cannot export SRTP keys");
  // RFC 5764 section 4.2: client key | server key | client salt | server salt.
  auto side = [&](bool client) {
    std::vector<uint8_t> out(material.begin() + static_cast<long>(client ? 0 : klen),
                             material.begin() + static_cast<long>((client ? 0 : klen) + klen));
    auto salt_at = 2 * klen + (client ? 0 : slen);
    out.insert(out.end(), material.begin() + static_cast<long>(salt_at),
               material.begin() + static_cast<long>(salt_at + slen));
    return out;
  };
  bool we_are_client = role_ == dtls_role::client;
  k.local = side(we_are_client);
  k.remote = side(!we_are_client);
  keys_ = std::move(k);
  state_ = dtls_state::connected;
}

void dtls_session::on_datagram(const uint8_t* data, std::size_t size) {
  auto& d = *impl_;
  if (state_ == dtls_state::failed || state_ == dtls_state::closed || size == 0 || size > 16384)
    return;
  BIO_write(d.rbio, data, static_cast<int>(size));
  if (state_ == dtls_state::connecting) {
    drive();
    if (state_ != dtls_state::connected)
      return;
  }
  // Application data (and alerts) after the handshake.
  uint8_t buf[16384];
  for (;;) {
    int n = SSL_read(d.ssl, buf, sizeof(buf));
    if (n > 0) {
      app_in_.emplace_back(buf, buf + n);
      continue;
    }
    int e = SSL_get_error(d.ssl, n);
    if (e == SSL_ERROR_ZERO_RETURN)
      state_ = dtls_state::closed;
    else if (e != SSL_ERROR_WANT_READ)
      ERR_clear_error();  // a bad record is dropped, not fatal
    break;
  }
}

void dtls_session::on_timeout() {
  if (state_ == dtls_state::connecting && DTLSv1_handle_timeout(impl_->ssl) < 0)
    fail("DTLS retransmission failed");
}

std::optional<std::chrono::milliseconds> dtls_session::next_timeout() const {
  if (state_ != dtls_state::connecting)
    return std::nullopt;
  timeval tv{};
  if (DTLSv1_get_timeout(impl_->ssl, &tv) != 1)
    return std::nullopt;
  return std::chrono::milliseconds(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

bool dtls_session::send_application(const uint8_t* data, std::size_t size) {
  if (state_ != dtls_state::connected)
    return false;
  return SSL_write(impl_->ssl, data, static_cast<int>(size)) == static_cast<int>(size);
}

std::vector<std::vector<uint8_t>> dtls_session::take_application() {
  return std::exchange(app_in_, {});
}

} // namespace lamplight::transport
