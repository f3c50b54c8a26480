#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "transport/websocket_server.hpp"

namespace lamplight::transport {

/// Routes HTTP requests: exact paths to handlers, and prefixes to folders of
/// static files (the web clients). Unknown paths get 404, wrong methods 405.
class http_router {
public:
  /// Requests for exactly `path` with `method` go to `handler`.
  void add(std::string method, std::string path, http_handler handler);

  /// GET/HEAD under `prefix` serve files from `root` ("index.html" for a
  /// folder). Paths with ".." or NUL never leave `root`: they get 404.
  void add_static(std::string prefix, std::filesystem::path root);

  http_response handle(const http_request& req) const;

  /// Content type by file extension.
  static std::string content_type_of(const std::filesystem::path& p);

private:
  struct route {
    std::string method;
    std::string path;
    http_handler handler;
  };
  struct folder {
    std::string prefix;
    std::filesystem::path root;
  };
  http_response serve_file(const folder& f, const http_request& req) const;

  std::vector<route> routes_;
  std::vector<folder> folders_;
};

} // namespace lamplight::transport
