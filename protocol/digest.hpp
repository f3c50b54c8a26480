#pragma once

// SHA-256 and HMAC-SHA256 (OpenSSL) as every signature of lamplight uses
// them: join tokens, server API requests, webhooks, device credentials,
// photo ids.

#include <cstddef>
#include <string>
#include <string_view>

namespace lamplight::protocol {

/// Lower-case hex of `n` bytes.
std::string to_hex(const unsigned char* data, std::size_t n);

/// Lower-case hex SHA-256 of `data` ("" if OpenSSL fails).
std::string sha256_hex(std::string_view data);

/// The 32 raw bytes of HMAC-SHA256(key, data) ("" if OpenSSL fails).
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Its lower-case hex ("" if OpenSSL fails: never a valid signature, since
/// callers compare 64 digits).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

} // namespace lamplight::protocol
