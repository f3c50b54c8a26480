#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lamplight::node {

/// What one of the node's HTTP handlers answers.
struct api_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

} // namespace lamplight::node
