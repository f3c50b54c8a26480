#pragma once

#include <map>
#include <string>
#include <string_view>

namespace lamplight::transport {

std::string to_lower(std::string s);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`, as in query
/// strings). Malformed escapes are kept as they are.
std::string percent_decode(std::string_view in, bool plus_is_space);

/// Escapes all but RFC 3986's unreserved characters, for query values.
std::string percent_encode(std::string_view in);

/// "a=1&b=x%20y" -> {a: 1, b: "x y"}; the first value of a repeated key wins.
std::map<std::string, std::string> parse_query(std::string_view query);

} // namespace lamplight::transport
