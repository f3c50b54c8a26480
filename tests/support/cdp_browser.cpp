#include "tests/support/cdp_browser.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include <google/protobuf/util/json_util.h>

namespace lamplight::test {

namespace pb = google::protobuf;
using namespace std::chrono_literals;

namespace {

std::string base64_decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0)
      continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

const pb::Value* field(const pb::Struct& s, const std::string& name) {
  auto i = s.fields().find(name);
  return i == s.fields().end() ? nullptr : &i->second;
}

} // namespace

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

cdp_browser::cdp_browser(const std::filesystem::path& profile_dir) {
  proc_ = std::make_unique<child_process>(
    std::vector<std::string>{"/usr/bin/chromium", "--headless=new", "--no-sandbox",
                             "--disable-gpu", "--disable-dev-shm-usage",
                             "--use-fake-device-for-media-stream",
                             "--use-fake-ui-for-media-stream",
                             "--allow-loopback-in-peer-connection",
                             "--autoplay-policy=no-user-gesture-required",
                             "--remote-debugging-port=0", "--remote-allow-origins=*",
                             "--window-size=1280,900", "--no-first-run",
                             "--user-data-dir=" + profile_dir.string(), "about:blank"},
    std::vector<std::string>{}, true);
  auto line = proc_->wait_for("DevTools listening on", 30s);
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex("ws://([0-9.]+):([0-9]+)(/\\S+)")))
    throw std::runtime_error("chromium did not open its DevTools port: " + log());
  if (!ws_.connect(m[1].str(), static_cast<uint16_t>(std::stoi(m[2].str())), m[3].str(), 10s))
    throw std::runtime_error("cannot reach chromium's DevTools: " + ws_.error());
}

cdp_browser::~cdp_browser() {
  (void) call("Browser.close", "{}", "", 2s);
  ws_.abort();
  proc_.reset();  // SIGTERM, then SIGKILL if it lingers
}

void cdp_browser::drain() {
  // Chromium writes to the pipe now and then; an unread pipe would stall it.
  while (proc_->read_line(0ms)) {
  }
}

std::string cdp_browser::log() const {
  std::string out;
  for (const auto& l : proc_->lines())
    out += l + "\n";
  return out;
}

std::optional<pb::Struct> cdp_browser::call(const std::string& method,
                                            const std::string& params_json,
                                            const std::string& session,
                                            std::chrono::milliseconds timeout) {
  auto id = next_id_++;
  std::string msg = "{\"id\":" + std::to_string(id) + ",\"method\":" + json_quote(method)
                    + ",\"params\":" + params_json
                    + (session.empty() ? "" : ",\"sessionId\":" + json_quote(session)) + "}";
  if (!ws_.send_text(msg)) {
    error_ = "DevTools connection lost";
    return std::nullopt;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    drain();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    auto in = ws_.read(std::min<std::chrono::milliseconds>(left, 200ms));
    if (!in)
      continue;
    pb::Struct reply;
    if (!pb::util::JsonStringToMessage(in->data, &reply).ok())
      continue;
    auto* rid = field(reply, "id");
    if (!rid || static_cast<uint64_t>(rid->number_value()) != id)
      continue;  // an event, or an answer to an earlier call
    if (auto* err = field(reply, "error")) {
      std::string text;
      (void) pb::util::MessageToJsonString(*err, &text);
      error_ = method + ": " + text;
      return std::nullopt;
    }
    auto* result = field(reply, "result");
    return result ? result->struct_value() : pb::Struct{};
  }
  error_ = method + ": no answer in time";
  return std::nullopt;
}

cdp_browser::page cdp_browser::open(const std::string& url) {
  auto created = call("Target.createTarget", "{\"url\":" + json_quote(url) + "}", "", 10s);
  if (!created || !field(*created, "targetId"))
    throw std::runtime_error("cannot open " + url + ": " + error_);
  page p;
  p.target_id = field(*created, "targetId")->string_value();
  auto attached = call("Target.attachToTarget",
                       "{\"targetId\":" + json_quote(p.target_id) + ",\"flatten\":true}", "", 10s);
  if (!attached || !field(*attached, "sessionId"))
    throw std::runtime_error("cannot attach to " + url + ": " + error_);
  p.session_id = field(*attached, "sessionId")->string_value();
  return p;
}

std::optional<pb::Value> cdp_browser::eval(const page& p, const std::string& expression,
                                           std::chrono::milliseconds timeout) {
  auto r = call("Runtime.evaluate",
                "{\"expression\":" + json_quote(expression)
                  + ",\"returnByValue\":true,\"awaitPromise\":true}",
                p.session_id, timeout);
  if (!r)
    return std::nullopt;
  if (auto* ex = field(*r, "exceptionDetails")) {
    std::string text;
    (void) pb::util::MessageToJsonString(*ex, &text);
    error_ = "exception: " + text;
    return std::nullopt;
  }
  auto* result = field(*r, "result");
  if (!result)
    return pb::Value{};
  auto* value = field(result->struct_value(), "value");
  return value ? *value : pb::Value{};
}

bool cdp_browser::wait_until(const page& p, const std::string& expression,
                             std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto v = eval(p, "Boolean(" + expression + ")", 5s);
    if (v && v->bool_value())
      return true;
    std::this_thread::sleep_for(100ms);  // a bounded poll of the page's own progress
  }
  if (error_.empty())
    error_ = "still false: " + expression;
  return false;
}

bool cdp_browser::screenshot(const page& p, const std::filesystem::path& file, bool full_page) {
  std::string params = "{\"format\":\"png\"}";
  if (full_page) {
    auto m = call("Page.getLayoutMetrics", "{}", p.session_id, 10s);
    auto* size = m ? field(*m, "cssContentSize") : nullptr;
    if (!size)
      return false;
    auto w = field(size->struct_value(), "width");
    auto h = field(size->struct_value(), "height");
    if (!w || !h)
      return false;
    params = "{\"format\":\"png\",\"captureBeyondViewport\":true,\"clip\":{\"x\":0,\"y\":0,"
             "\"width\":" + std::to_string(static_cast<int>(w->number_value()))
             + ",\"height\":" + std::to_string(static_cast<int>(h->number_value()))
             + ",\"scale\":1}}";
  }
  auto r = call("Page.captureScreenshot", params, p.session_id, 20s);
  if (!r || !field(*r, "data"))
    return false;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << base64_decode(field(*r, "data")->string_value());
  return static_cast<bool>(out);
}

} // namespace lamplight::test
