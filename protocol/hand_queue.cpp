#include "protocol/hand_queue.hpp"

#include <algorithm>

namespace lamplight::protocol {

errc hand_queue::raise(const std::string& identity) {
  if (raised(identity))
    return errc::wrong_state;
  order_.push_back(identity);
  return errc::none;
}

errc hand_queue::lower(const std::string& identity) {
  return remove(identity) ? errc::none : errc::wrong_state;
}

result<std::string> hand_queue::accept(const std::string& identity) {
  return take(identity);
}

result<std::string> hand_queue::dismiss(const std::string& identity) {
  return take(identity);
}

bool hand_queue::remove(const std::string& identity) {
  auto i = std::find(order_.begin(), order_.end(), identity);
  if (i == order_.end())
    return false;
  order_.erase(i);
  return true;
}

std::size_t hand_queue::position(const std::string& identity) const {
  auto i = std::find(order_.begin(), order_.end(), identity);
  if (i == order_.end())
    return 0;
  return static_cast<std::size_t>(i - order_.begin()) + 1;
}

std::optional<std::string> hand_queue::front() const {
  if (order_.empty())
    return std::nullopt;
  return order_.front();
}

result<std::string> hand_queue::take(const std::string& identity) {
  if (order_.empty())
    return error{errc::not_found, "no hand is raised"};
  if (identity.empty()) {
    auto who = order_.front();
    order_.pop_front();
    return who;
  }
  if (!remove(identity))
    return error{errc::not_found, identity + " has not raised a hand"};
  return identity;
}

} // namespace lamplight::protocol
