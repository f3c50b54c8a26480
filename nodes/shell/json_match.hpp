#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/struct.pb.h>

namespace lamplight::shell {

/// Parses any JSON text into a protobuf Value tree; nullopt if malformed.
std::optional<google::protobuf::Value> parse_json(std::string_view text);

/// Whether `actual` contains `pattern`: objects by key (recursively, extra
/// keys in `actual` allowed), lists by element (each pattern element matches
/// some element of `actual`), scalars by equality. Numbers also match their
/// decimal string, since the JSON mapping writes 64-bit integers as strings.
bool json_contains(const google::protobuf::Value& actual, const google::protobuf::Value& pattern);

} // namespace lamplight::shell
