#include "protocol/device_credential.hpp"

#include <openssl/crypto.h>

#include "protocol/digest.hpp"

namespace lamplight::protocol {

namespace {

constexpr std::size_t max_id_bytes = 64;

bool nonce_ok(const std::string& n) {
  if (n.size() < 16 || n.size() > 64)
    return false;
  for (char c : n)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
          || c == '-'))
      return false;
  return true;
}

error unauthenticated(std::string why) {
  return {errc::unauthenticated, "device login refused: " + std::move(why)};
}

} // namespace

std::string device_string_to_sign(const signal::v1::DeviceLogin& login) {
  return "LL1-DEVICE\n" + std::to_string(login.ts()) + "\n" + login.nonce() + "\n"
         + login.tenant() + "\n" + login.serial() + "\n" + login.classroom();
}

signal::v1::DeviceLogin sign_device_login(const std::string& tenant, const std::string& serial,
                                          const std::string& classroom,
                                          const std::string& secret, int64_t ts,
                                          const std::string& nonce) {
  signal::v1::DeviceLogin out;
  out.set_tenant(tenant);
  out.set_serial(serial);
  out.set_classroom(classroom);
  out.set_ts(ts);
  out.set_nonce(nonce);
  out.set_sig(hmac_sha256_hex(secret, device_string_to_sign(out)));
  return out;
}

result<token_claims> verify_device_login(const signal::v1::DeviceLogin& login,
                                         const device_lookup& lamps, int64_t now_s) {
  for (const auto* id : {&login.tenant(), &login.serial(), &login.classroom()})
    if (id->empty() || id->size() > max_id_bytes)
      return unauthenticated("tenant, serial and classroom are 1..64 bytes");
  if (!nonce_ok(login.nonce()))
    return unauthenticated("the nonce is 16..64 of [A-Za-z0-9_-]");
  if (login.ts() < now_s - device_window_s || login.ts() > now_s + device_window_s)
    return unauthenticated("ts is " + std::string(login.ts() < now_s ? "behind" : "ahead of")
                           + " the node's clock by more than "
                           + std::to_string(device_window_s) + " s");
  if (login.sig().size() != 64)
    return unauthenticated("sig is 64 hex digits");
  auto lamp = lamps ? lamps(login.tenant(), login.serial(), login.classroom()) : std::nullopt;
  // One answer for an unknown lamp and a wrong secret: nobody learns which
  // serials a tenant registered.
  auto expected = lamp ? hmac_sha256_hex(lamp->secret, device_string_to_sign(login)) : "";
  if (!lamp || expected.size() != 64
      || CRYPTO_memcmp(expected.data(), login.sig().data(), 64) != 0)
    return unauthenticated("unknown lamp or bad signature");
  if (!lamp->enrolled)
    return error{errc::permission_denied,
                 "lamp " + login.serial() + "'s student is not on the roster of classroom "
                   + login.classroom()};
  token_claims c;
  c.tenant = login.tenant();
  c.classroom = login.classroom();
  c.identity = lamp->student;
  c.role = signal::v1::ROLE_STUDENT;
  c.expires_at = now_s + device_window_s;
  return c;
}

} // namespace lamplight::protocol
