#include "transport/http_router.hpp"

#include <fstream>
#include <sstream>

namespace lamplight::transport {

namespace {

http_response status_page(int status, const char* text) {
  return {status, "text/plain; charset=utf-8", std::string(text) + "\n", {}};
}

} // namespace

void http_router::add(std::string method, std::string path, http_handler handler) {
  routes_.push_back({std::move(method), std::move(path), std::move(handler)});
}

void http_router::add_static(std::string prefix, std::filesystem::path root) {
  folders_.push_back({std::move(prefix), std::move(root)});
}

std::string http_router::content_type_of(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".json")
    return "application/json";
  if (ext == ".png")
    return "image/png";
  if (ext == ".jpg" || ext == ".jpeg")
    return "image/jpeg";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".ico")
    return "image/x-icon";
  if (ext == ".wasm")
    return "application/wasm";
  return "application/octet-stream";
}

http_response http_router::handle(const http_request& req) const {
  bool path_known = false;
  for (const auto& r : routes_) {
    if (r.path != req.path)
      continue;
    path_known = true;
    if (r.method == req.method || (r.method == "GET" && req.method == "HEAD"))
      return r.handler(req);
  }
  if (path_known)
    return status_page(405, "method not allowed");
  for (const auto& f : folders_) {
    if (req.path.compare(0, f.prefix.size(), f.prefix) != 0)
      continue;
    if (req.method != "GET" && req.method != "HEAD")
      return status_page(405, "method not allowed");
    return serve_file(f, req);
  }
  return status_page(404, "not found");
}

http_response http_router::serve_file(const folder& f, const http_request& req) const {
  auto rel = req.path.substr(f.prefix.size());
  // Refuse anything that could step outside the root, before touching disk.
  if (rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos)
    return status_page(404, "not found");
  std::filesystem::path p;
  for (const auto& part : std::filesystem::path(rel)) {
    auto s = part.string();
    if (s == "/" || s.empty() || s == ".")
      continue;
    if (s == "..")
      return status_page(404, "not found");
    p /= part;
  }
  auto full = f.root / p;
  std::error_code ec;
  if (std::filesystem::is_directory(full, ec))
    full /= "index.html";
  if (!std::filesystem::is_regular_file(full, ec))
    return status_page(404, "not found");
  std::ifstream in(full, std::ios::binary);
  if (!in)
    return status_page(404, "not found");
  std::ostringstream body;
  body << in.rdbuf();
  return {200, content_type_of(full), body.str(), {}};
}

} // namespace lamplight::transport
