#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lamplight::backend {

/// `n` random bytes from OpenSSL's CSPRNG as lower-case hex (2n characters);
/// empty if the CSPRNG fails. For secrets and for ids nobody may guess.
std::string random_hex(std::size_t n);

/// The wall clock in milliseconds since the epoch (the default clock of
/// everything in backend/; tests inject their own).
int64_t wall_ms();

} // namespace lamplight::backend
