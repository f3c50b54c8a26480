#include "actors/system_setup.hpp"

#include <string>

#include "actors/base/errors.hpp"
#include "actors/type_ids.hpp"

namespace lamplight::actors {

void add_lamplight_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::lamplight>();
  cfg.add_error_category(error_category, [](uint8_t code, caf::atom_value,
                                            const caf::message& ctx) -> std::string {
    std::string out = "lamplight.";
    out += protocol::to_string(static_cast<protocol::errc>(code));
    if (!ctx.empty())
      out += ctx.match_element<std::string>(0) ? ": " + ctx.get_as<std::string>(0)
                                               : ": " + caf::to_string(ctx);
    return out;
  });
}

} // namespace lamplight::actors
