#include "nodes/shell/json_match.hpp"

#include <cmath>

#include <google/protobuf/util/json_util.h>

namespace lamplight::shell {

namespace pb = google::protobuf;

std::optional<pb::Value> parse_json(std::string_view text) {
  pb::Value v;
  if (!pb::util::JsonStringToMessage(pb::StringPiece(text.data(), text.size()), &v).ok())
    return std::nullopt;
  return v;
}

namespace {

std::string number_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e18)
    return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

} // namespace

bool json_contains(const pb::Value& actual, const pb::Value& pattern) {
  switch (pattern.kind_case()) {
    case pb::Value::kStructValue: {
      if (actual.kind_case() != pb::Value::kStructValue)
        return false;
      const auto& have = actual.struct_value().fields();
      for (const auto& [key, want] : pattern.struct_value().fields()) {
        auto i = have.find(key);
        if (i == have.end() || !json_contains(i->second, want))
          return false;
      }
      return true;
    }
    case pb::Value::kListValue: {
      if (actual.kind_case() != pb::Value::kListValue)
        return false;
      for (const auto& want : pattern.list_value().values()) {
        bool any = false;
        for (const auto& have : actual.list_value().values())
          if (json_contains(have, want)) {
            any = true;
            break;
          }
        if (!any)
          return false;
      }
      return true;
    }
    case pb::Value::kNumberValue:
      if (actual.kind_case() == pb::Value::kNumberValue)
        return actual.number_value() == pattern.number_value();
      return actual.kind_case() == pb::Value::kStringValue
             && actual.string_value() == number_text(pattern.number_value());
    case pb::Value::kStringValue:
      return actual.kind_case() == pb::Value::kStringValue
             && actual.string_value() == pattern.string_value();
    case pb::Value::kBoolValue:
      return actual.kind_case() == pb::Value::kBoolValue
             && actual.bool_value() == pattern.bool_value();
    case pb::Value::kNullValue:
      return actual.kind_case() == pb::Value::kNullValue;
    case pb::Value::KIND_NOT_SET:
      return true;
  }
  return false;
}

} // namespace lamplight::shell
