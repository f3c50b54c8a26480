// STUN arrives on the media port from anyone on the network.
#include <cstddef>
#include <cstdint>

#include "transport/stun_message.hpp"

using lamplight::transport::stun_message;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = stun_message::parse(data, size);
  if (!m)
    return 0;
  (void) m->get_username();
  (void) m->get_priority();
  (void) m->get_xor_mapped_address();
  (void) m->get_error_code();
  (void) m->get_tie_breaker(stun_message::ice_controlling);
  (void) m->check_integrity("fuzz-password");
  (void) m->check_fingerprint();
  // What we parsed we can write again, and read back.
  auto again = m->serialize(std::string_view("k"), true);
  if (again.size() > 20 + 0xFFFF)
    return 0;  // no longer fits a STUN length field
  auto back = stun_message::parse(again.data(), again.size());
  if (!back || !back->check_integrity("k") || !back->check_fingerprint())
    __builtin_trap();
  return 0;
}
