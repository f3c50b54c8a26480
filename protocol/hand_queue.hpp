#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "protocol/errc.hpp"

namespace lamplight::protocol {

/// Raised hands of a classroom, oldest first. Teachers take them in order
/// (accept/dismiss with an empty identity takes the front) or pick one.
class hand_queue {
public:
  /// errc::wrong_state if already raised.
  errc raise(const std::string& identity);
  /// errc::wrong_state if not raised.
  errc lower(const std::string& identity);
  /// Removes and returns the hand taken: `identity`, or the front if empty.
  /// errc::not_found if that hand is not raised (or the queue is empty).
  result<std::string> accept(const std::string& identity);
  result<std::string> dismiss(const std::string& identity);
  /// Drops a hand without error (the student left). True if it was raised.
  bool remove(const std::string& identity);

  /// 1-based position, 0 if not raised.
  std::size_t position(const std::string& identity) const;
  bool raised(const std::string& identity) const { return position(identity) != 0; }
  std::optional<std::string> front() const;
  const std::deque<std::string>& order() const { return order_; }
  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }

private:
  result<std::string> take(const std::string& identity);
  std::deque<std::string> order_;
};

} // namespace lamplight::protocol
