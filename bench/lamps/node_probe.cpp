#include "bench/lamps/node_probe.hpp"

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include <csignal>
#include <unistd.h>

#include "transport/http_util.hpp"
#include "transport/websocket_client.hpp"

namespace lamplight::bench {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// utime + stime of a process from /proc/<pid>/stat, in seconds.
std::optional<double> proc_cpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = all.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stod(field);
    if (i == 15)
      stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<double> proc_rss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  double size = 0, resident = 0;
  if (!(in >> size >> resident))
    return std::nullopt;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}


} // namespace

std::unique_ptr<node_probe> node_probe::start(const std::string& binary,
                                              const std::vector<std::string>& extra) {
  std::unique_ptr<node_probe> p(new node_probe());
  p->dir_ = std::make_unique<test::temp_dir>();
  std::vector<std::string> argv{binary, "--port", "0", "--shell-port", "0", "--data-dir",
                                (p->dir_->path / "data").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  p->proc_ = std::make_unique<test::child_process>(argv);
  auto ready = p->proc_->wait_for("READY", std::chrono::seconds(30));
  std::smatch m;
  if (!ready || !std::regex_search(*ready, m, std::regex("http=([0-9]+)")))
    return nullptr;
  p->port_ = static_cast<uint16_t>(std::stoi(m[1].str()));
  p->t0_ = now_s();
  return p;
}

std::unique_ptr<node_probe> node_probe::attach(const std::string& host, uint16_t port) {
  std::unique_ptr<node_probe> p(new node_probe());
  p->host_ = host;
  p->port_ = port;
  p->t0_ = now_s();
  return p;
}

node_probe::~node_probe() {
  if (proc_)
    (void) proc_->stop(SIGTERM, std::chrono::seconds(10));
}

std::map<std::string, double> node_probe::metrics() {
  std::map<std::string, double> out;
  auto r = transport::http_get(host_, port_, "/metrics", std::chrono::seconds(3));
  if (r.status != 200)
    return out;
  std::istringstream in(r.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos)
      continue;
    try {
      out[line.substr(0, space)] += std::stod(line.substr(space + 1));
    } catch (...) {
    }
  }
  return out;
}

node_probe::sample node_probe::read() {
  sample s;
  s.at_s = now_s() - t0_;
  auto m = metrics();
  auto get = [&](const std::string& k) {
    auto i = m.find(k);
    return i == m.end() ? 0.0 : i->second;
  };
  s.cpu_s = get("lamplight_process_cpu_seconds_total");
  s.rss_bytes = get("lamplight_process_resident_bytes");
  if (proc_) {
    // Our own child: /proc is exact and needs no endpoint.
    if (auto c = proc_cpu(proc_->pid()))
      s.cpu_s = *c;
    if (auto r = proc_rss(proc_->pid()))
      s.rss_bytes = *r;
  }
  for (auto pid : extra_pids_) {
    s.cpu_s += proc_cpu(pid).value_or(0);
    s.rss_bytes += proc_rss(pid).value_or(0);
  }
  return s;
}

std::optional<std::string> node_probe::token(const std::string& tenant,
                                             const std::string& classroom,
                                             const std::string& identity, const std::string& role,
                                             const std::string& mode) {
  auto r = transport::http_get(host_, port_,
                               "/dev/token?tenant=" + transport::percent_encode(tenant) + "&classroom="
                                 + transport::percent_encode(classroom) + "&identity=" + transport::percent_encode(identity)
                                 + "&role=" + role + (mode.empty() ? "" : "&mode=" + mode),
                               std::chrono::seconds(5));
  if (r.status != 200)
    return std::nullopt;
  return r.body;
}

} // namespace lamplight::bench
