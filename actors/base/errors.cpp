#include "actors/base/errors.hpp"

#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace lamplight::actors {

caf::error make_error(protocol::errc code, std::string message) {
  return caf::error(static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message)));
}

protocol::error to_protocol_error(const caf::error& e) {
  using protocol::errc;
  if (!e)
    return {errc::none, {}};
  if (e.category() == error_category) {
    std::string msg;
    if (e.context().match_elements<std::string>())
      msg = e.context().get_as<std::string>(0);
    return {static_cast<errc>(e.code()), std::move(msg)};
  }
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout:
        return {errc::timeout, "no answer in time"};
      case caf::sec::request_receiver_down:
      case caf::sec::no_route_to_receiving_node:
      case caf::sec::invalid_argument:
        return {errc::unavailable, "the actor or node serving this is gone"};
      default:
        break;
    }
  }
  if (e.category() == caf::atom("exit"))
    return {errc::unavailable, "the actor serving this is gone"};
  return {errc::internal, caf::to_string(e)};
}

namespace {
constexpr const char* moved_text = "classroom moved to another node";
} // namespace

caf::error classroom_moved() {
  return make_error(protocol::errc::unavailable, moved_text);
}

bool is_classroom_moved(const caf::error& e) {
  auto p = to_protocol_error(e);
  return p.code == protocol::errc::unavailable && p.message == moved_text;
}

} // namespace lamplight::actors
