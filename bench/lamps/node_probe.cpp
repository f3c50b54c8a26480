#include "bench/lamps/node_probe.hpp"

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

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

bool node_probe::launch(const std::string& binary, const std::string& name,
                        std::vector<std::string> args) {
  // A load-test node of its own: its lamps are of any tenant the bench names.
  std::vector<std::string> argv{binary,       "--port",     "0", "--shell-port", "0",
                                "--data-dir", (dir_->path / name).string(), "--dev-tokens", "any"};
  argv.insert(argv.end(), args.begin(), args.end());
  member m;
  m.name = name;
  m.proc = std::make_unique<test::child_process>(argv);
  auto ready = m.proc->wait_for("READY", std::chrono::seconds(30));
  std::smatch http, cluster;
  if (!ready || !std::regex_search(*ready, http, std::regex("http=([0-9]+)")))
    return false;
  m.port = static_cast<uint16_t>(std::stoi(http[1].str()));
  if (std::regex_search(*ready, cluster, std::regex("cluster=([0-9]+)")))
    m.cluster_port = static_cast<uint16_t>(std::stoi(cluster[1].str()));
  members_.push_back(std::move(m));
  return true;
}

std::unique_ptr<node_probe> node_probe::start(const std::string& binary,
                                              const std::vector<std::string>& extra) {
  std::unique_ptr<node_probe> p(new node_probe());
  p->dir_ = std::make_unique<test::temp_dir>();
  if (!p->launch(binary, "node", extra))
    return nullptr;
  p->port_ = p->members_.front().port;
  p->t0_ = now_s();
  return p;
}

std::unique_ptr<node_probe> node_probe::start_cluster(const std::string& binary,
                                                      const std::vector<std::string>& extra,
                                                      int media_nodes) {
  std::unique_ptr<node_probe> p(new node_probe());
  p->dir_ = std::make_unique<test::temp_dir>();
  auto secret = (p->dir_->path / "cluster.secret").string();
  auto args = [&](const std::string& name, const std::string& roles, const std::string& seed) {
    std::vector<std::string> a{"--name", name, "--roles", roles, "--cluster-port", "0",
                               "--token-secret-file", secret};
    if (!seed.empty())
      a.insert(a.end(), {"--seeds", seed});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  if (!p->launch(binary, "room", args("room", "room", "")))
    return nullptr;
  auto seed = "127.0.0.1:" + std::to_string(p->members_.front().cluster_port);
  for (int i = 1; i <= media_nodes; ++i) {
    auto name = "media" + std::to_string(i);
    if (!p->launch(binary, name, args(name, "gateway,media", seed)))
      return nullptr;
    p->gateways_.push_back(p->members_.back().port);
  }
  // Every gateway must know every media node before lamps come: placement
  // is by the cluster's view. Bounded: membership forms within seconds.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto formed = [&] {
    for (const auto& m : p->members_) {
      auto r = transport::http_get(p->host_, m.port, "/admin/status", std::chrono::seconds(2));
      std::size_t alive = 0;
      for (auto at = r.body.find("\"state\":\"alive\""); at != std::string::npos;
           at = r.body.find("\"state\":\"alive\"", at + 1))
        ++alive;
      if (alive < p->members_.size())
        return false;
    }
    return true;
  };
  while (std::chrono::steady_clock::now() < deadline && !formed())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!formed())
    return nullptr;
  p->port_ = p->gateways_.front();
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
  for (auto m = members_.rbegin(); m != members_.rend(); ++m)
    (void) m->proc->stop(SIGTERM, std::chrono::seconds(10));
}

std::map<std::string, double> node_probe::metrics(const std::string& host, uint16_t port) {
  std::map<std::string, double> out;
  auto r = transport::http_get(host, port, "/metrics", std::chrono::seconds(3));
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
  if (members_.empty()) {
    auto m = metrics(host_, port_);
    s.cpu_s = m["lamplight_process_cpu_seconds_total"];
    s.rss_bytes = m["lamplight_process_resident_bytes"];
  }
  // Our own children: /proc is exact and needs no endpoint.
  for (const auto& m : members_) {
    s.cpu_s += proc_cpu(m.proc->pid()).value_or(0);
    s.rss_bytes += proc_rss(m.proc->pid()).value_or(0);
  }
  for (auto pid : extra_pids_) {
    s.cpu_s += proc_cpu(pid).value_or(0);
    s.rss_bytes += proc_rss(pid).value_or(0);
  }
  return s;
}

std::vector<node_probe::node_media> node_probe::per_node() {
  std::vector<node_media> out;
  for (const auto& m : members_) {
    auto x = metrics(host_, m.port);
    out.push_back({m.name, x["lamplight_media_rtp_in_total"],
                   x["lamplight_media_rtp_forwarded_total"], x["lamplight_media_pipe_rtp_in_total"],
                   x["lamplight_media_pipe_rtp_out_total"], proc_cpu(m.proc->pid()).value_or(0)});
  }
  return out;
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
