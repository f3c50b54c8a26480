#include "tests/support/janus_process.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lamplight::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// A port the kernel considers free right now (bind 0, read, close). Another
/// process may take it before Janus binds it; the caller retries then.
uint16_t free_port(int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("janus_process: socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok)
    throw std::runtime_error("janus_process: cannot find a free port");
  return ntohs(a.sin_port);
}

bool tcp_accepts(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    return false;
  }
  a.sin_port = htons(port);
  // Loopback and veth connects succeed or are refused at once, so blocking
  // is fine.
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

/// `name` found in PATH, then in the usual sbin folders (PATH of a test
/// runner often lacks them); empty if nowhere.
std::string find_in_path(const std::string& name, bool with_sbin) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    for (std::string dir; std::getline(in, dir, ':');)
      dirs.push_back(dir.empty() ? "." : dir);
  }
  if (with_sbin)
    for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
      dirs.emplace_back(d);
  for (auto& dir : dirs) {
    auto candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return "";
}

std::string resolve_binary(std::string binary) {
  if (binary == "janus")
    if (const char* env = std::getenv("LAMPLIGHT_JANUS_BIN"); env && *env)
      binary = env;
  // child_process spawns without a PATH search, so resolve names here.
  if (binary.find('/') != std::string::npos)
    return binary;
  if (auto found = find_in_path(binary, false); !found.empty())
    return found;
  throw std::runtime_error("janus_process: '" + binary +
                           "' not found in PATH (install the janus package or set "
                           "LAMPLIGHT_JANUS_BIN)");
}

/// The folder holding plugins/, transports/, events/ and loggers/. Debian
/// puts it under the multiarch lib dir; a source build under its prefix.
std::string find_lib_dir(const std::string& binary) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("LAMPLIGHT_JANUS_LIB_DIR"); env && *env)
    candidates.emplace_back(env);
  auto prefix = fs::path(binary).parent_path().parent_path();
  candidates.push_back(prefix / "lib/x86_64-linux-gnu/janus");
  candidates.push_back(prefix / "lib/aarch64-linux-gnu/janus");
  candidates.push_back(prefix / "lib/janus");
  candidates.push_back(prefix / "lib64/janus");
  candidates.emplace_back("/usr/lib/x86_64-linux-gnu/janus");
  candidates.emplace_back("/usr/lib/aarch64-linux-gnu/janus");
  candidates.emplace_back("/usr/lib/janus");
  for (auto& c : candidates) {
    std::error_code ec;
    if (fs::exists(c / "plugins/libjanus_videoroom.so", ec) &&
        fs::exists(c / "transports/libjanus_websockets.so", ec))
      return c.string();
  }
  throw std::runtime_error("janus_process: no Janus plugin folder with the videoroom plugin and "
                           "the websockets transport (set LAMPLIGHT_JANUS_LIB_DIR)");
}

/// Comma-separated names of the .so files in `dir` except `keep`: Janus can
/// only be told what to skip, and the installed set varies by package.
std::string all_but(const fs::path& dir, const std::string& keep) {
  std::string out;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(dir, ec)) {
    auto name = entry.path().filename().string();
    if (name == keep || entry.path().extension() != ".so")
      continue;
    if (!out.empty())
      out += ',';
    out += name;
  }
  return out;
}

// --- iproute2 -------------------------------------------------------------

struct run_result {
  int status = -1; ///< exit code; 128 + signal if killed; -1 if not started
  std::string out;
  std::string err;
  bool ok() const { return status == 0; }
};

/// Runs argv (no shell) with stdout and stderr captured; bounded: a command
/// that hangs for `timeout` is killed.
run_result run(const std::vector<std::string>& argv,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  run_result r;
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("janus_process: pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("janus_process: pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<std::string> store(argv);
  std::vector<char*> args;
  for (auto& a : store)
    args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    r.err = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      auto k = ::read(fds[i].fd, buf, sizeof(buf));
      if (k > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(k));
      } else if (k == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (killed)
    r.err += "(killed after " + std::to_string(timeout.count()) + " ms)";
  return r;
}

std::string describe(const std::vector<std::string>& argv, const run_result& r) {
  std::string cmd;
  for (auto& a : argv)
    cmd += (cmd.empty() ? "" : " ") + a;
  auto err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' '))
    err.pop_back();
  return "'" + cmd + "' failed (exit " + std::to_string(r.status) + ")" +
         (err.empty() ? "" : ": " + err);
}

const std::string& ip_binary() {
  static const std::string path = find_in_path("ip", true);
  if (path.empty())
    throw std::runtime_error("janus_process: own_namespace needs iproute2's 'ip', which is not in "
                             "PATH, /usr/sbin or /sbin (install iproute2, or set "
                             "janus_options::own_namespace = false)");
  return path;
}

run_result ip(std::vector<std::string> args) {
  args.insert(args.begin(), ip_binary());
  return run(args);
}

/// Runs `ip args...` and throws with its stderr if it fails.
void ip_or_throw(std::vector<std::string> args) {
  args.insert(args.begin(), ip_binary());
  auto r = run(args);
  if (!r.ok())
    throw std::runtime_error("janus_process: " + describe(args, r));
}

bool pid_alive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

constexpr const char* netns_prefix = "lljanus-";
constexpr const char* veth_prefix = "llj";
constexpr std::size_t stale_bound = 32;

/// Namespaces and root-side veths from earlier runs whose process is gone
/// (a crash, a SIGKILL): removed, at most `stale_bound` of each per call.
void remove_stale() {
  std::size_t removed = 0;
  auto ns = ip({"netns", "list"});
  std::stringstream lines(ns.out);
  for (std::string line; std::getline(lines, line) && removed < stale_bound;) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind(netns_prefix, 0) != 0)
      continue;
    auto rest = name.substr(std::strlen(netns_prefix));
    auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0)
      continue;
    char* end = nullptr;
    long pid = std::strtol(rest.c_str(), &end, 10);
    if (end != rest.c_str() + dash || pid_alive(pid))
      continue;
    ip({"netns", "del", name});
    ++removed;
  }
  // A veth whose namespace end died with the namespace goes with it; one
  // left in the root namespace (a crash between creating and moving it)
  // does not.
  removed = 0;
  auto links = ip({"-o", "link", "show"});
  std::stringstream ls(links.out);
  for (std::string line; std::getline(ls, line) && removed < stale_bound;) {
    auto colon = line.find(": ");
    if (colon == std::string::npos)
      continue;
    auto name = line.substr(colon + 2);
    name = name.substr(0, name.find_first_of("@:"));
    if (name.rfind(veth_prefix, 0) != 0)
      continue;
    auto rest = name.substr(std::strlen(veth_prefix));
    auto n = rest.find('n');
    if (n == std::string::npos || n == 0)
      continue;
    char* end = nullptr;
    long pid = std::strtol(rest.c_str(), &end, 16);
    if (end != rest.c_str() + n || pid_alive(pid))
      continue;
    ip({"link", "del", name});
    ++removed;
  }
}

/// The IPv4 networks on this machine's interfaces, as (address, prefix)
/// with the interface name, from `ip -o -4 addr`.
struct v4_addr {
  std::string dev;
  uint32_t addr = 0;
  int prefix = 32;
};

std::vector<v4_addr> machine_addresses() {
  auto r = ip({"-o", "-4", "addr", "show"});
  if (!r.ok())
    throw std::runtime_error("janus_process: " + describe({"ip", "-o", "-4", "addr", "show"}, r));
  std::vector<v4_addr> out;
  std::stringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    // "4: eth0    inet 192.0.2.2/24 brd ... scope global eth0\ ..."
    std::stringstream words(line);
    std::string index, dev, family, cidr;
    words >> index >> dev >> family >> cidr;
    if (family != "inet")
      continue;
    auto slash = cidr.find('/');
    in_addr a{};
    if (::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1)
      continue;
    v4_addr v;
    v.dev = dev;
    v.addr = ntohl(a.s_addr);
    v.prefix = slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
    out.push_back(v);
  }
  return out;
}

uint32_t mask(int prefix) {
  return prefix <= 0 ? 0u : prefix >= 32 ? ~0u : ~0u << (32 - prefix);
}

/// Whether the /30 at `net` overlaps a network of an interface other than
/// `own_dev`.
bool overlaps(uint32_t net, const std::vector<v4_addr>& addrs, const std::string& own_dev) {
  for (auto& a : addrs) {
    if (a.dev == own_dev)
      continue;
    auto m = mask(a.prefix < 30 ? a.prefix : 30);
    if ((a.addr & m) == (net & m))
      return true;
  }
  return false;
}

std::string dotted(uint32_t addr) {
  in_addr a{};
  a.s_addr = htonl(addr);
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

std::string hex(unsigned long v) {
  std::stringstream s;
  s << std::hex << v;
  return s.str();
}

std::atomic<unsigned> namespace_counter{0};

} // namespace

/// A network namespace with Janus's end of a veth pair in it; torn down
/// (veth, then namespace) when it goes.
struct janus_process::namespace_setup {
  std::string name;     ///< lljanus-<pid>-<n>
  std::string root_dev; ///< llj<hex pid>n<hex n>a, in the root namespace
  std::string ns_dev;   ///< ...b, in `name`
  std::string root_ip;  ///< 10.213.x.(4k+1)
  std::string ns_ip;    ///< 10.213.x.(4k+2)
  bool created = false;

  namespace_setup() {
    remove_stale();
    auto pid = static_cast<unsigned long>(::getpid());
    unsigned n = namespace_counter.fetch_add(1);
    name = netns_prefix + std::to_string(pid) + "-" + std::to_string(n);
    // IFNAMSIZ - 1 = 15: "llj" + up to 6 hex digits (pid_max <= 2^22) + "n"
    // + up to 4 hex digits + "a".
    auto base = veth_prefix + hex(pid) + "n" + hex(n & 0xffffu);
    root_dev = base + "a";
    ns_dev = base + "b";

    auto add = ip({"netns", "add", name});
    if (!add.ok()) {
      auto why = describe({"ip", "netns", "add", name}, add);
      if (add.err.find("not permitted") != std::string::npos ||
          add.err.find("ermission denied") != std::string::npos)
        throw std::runtime_error(
            "janus_process: own_namespace needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to create "
            "a network namespace for Janus, and this process may not: " +
            why +
            ". Run the janus tests as root, or set janus_options::own_namespace = false (Janus "
            "then has no ICE candidates a client on 127.0.0.1 can reach).");
      throw std::runtime_error("janus_process: " + why);
    }
    created = true;
    try {
      setup(pid, n);
    } catch (...) {
      teardown();
      throw;
    }
  }

  void setup(unsigned long pid, unsigned n) {
    // Same pid and counter as a dead process's leftover: not ours to keep.
    ip({"link", "del", root_dev});
    ip_or_throw({"link", "add", root_dev, "type", "veth", "peer", "name", ns_dev, "netns", name});

    // 10.213.0.0/16 holds 16384 /30s; start somewhere that depends on the
    // pid and counter, so concurrent launchers rarely try the same one, and
    // walk on until one overlaps nothing on this machine.
    constexpr uint32_t pool = 0x0ad50000u; // 10.213.0.0
    constexpr uint32_t slots = 1u << 14;
    uint32_t slot = static_cast<uint32_t>((pid * 2654435761ul + n * 40503ul) % slots);
    for (int attempt = 0;; ++attempt, slot = (slot + 97) % slots) {
      if (attempt == 64)
        throw std::runtime_error("janus_process: no free /30 in 10.213.0.0/16 for Janus's veth "
                                 "pair after 64 tries");
      uint32_t net = pool + slot * 4;
      if (overlaps(net, machine_addresses(), root_dev))
        continue;
      auto cidr = dotted(net + 1) + "/30";
      auto r = ip({"addr", "add", cidr, "dev", root_dev});
      if (!r.ok())
        continue; // taken meanwhile, or a race we lost: the next one
      // Another launcher may have picked the same /30 at the same time:
      // look again, and whoever sees the other backs off.
      if (overlaps(net, machine_addresses(), root_dev)) {
        ip({"addr", "del", cidr, "dev", root_dev});
        continue;
      }
      root_ip = dotted(net + 1);
      ns_ip = dotted(net + 2);
      break;
    }
    ip_or_throw({"-n", name, "addr", "add", ns_ip + "/30", "dev", ns_dev});
    ip_or_throw({"-n", name, "link", "set", "lo", "up"});
    ip_or_throw({"-n", name, "link", "set", ns_dev, "up"});
    ip_or_throw({"link", "set", root_dev, "up"});
  }

  void teardown() {
    if (!created)
      return;
    created = false;
    // Deleting one end deletes both; the namespace's end goes with the
    // namespace anyway, so a failure here (already gone) is fine.
    ip({"link", "del", root_dev});
    ip({"netns", "del", name});
  }

  ~namespace_setup() { teardown(); }
};

namespace {

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f)
    throw std::runtime_error("janus_process: cannot write " + p.string());
}

} // namespace

janus_process::janus_process(janus_options options) : options_(std::move(options)) {
  config_dir = dir_.path.string();
  auto binary = resolve_binary(options_.binary);
  auto lib_dir = find_lib_dir(binary);
  if (options_.own_namespace) {
    ns_ = std::make_unique<namespace_setup>();
    host = ns_->ns_ip;
    peer_ip = ns_->root_ip;
    netns = ns_->name;
  }
  std::string why;
  // A port picked free can be taken before Janus binds it: try again then.
  for (int attempt = 0; attempt < 3; ++attempt)
    if (try_start(binary, lib_dir, why))
      return;
  throw std::runtime_error("janus_process: Janus did not start (" + why + "); log tail:\n" +
                           log_tail());
}

janus_process::~janus_process() {
  if (proc_ && !proc_->stop(SIGTERM, 5s))
    proc_->stop(SIGKILL, 5s);
  proc_.reset();
  ns_.reset(); // only now that Janus is gone
}

bool janus_process::try_start(const std::string& binary, const std::string& lib_dir,
                              std::string& why) {
  if (proc_) {
    proc_->stop(SIGKILL, 5s);
    proc_.reset();
  }
  ws_port = free_port(SOCK_STREAM);
  auto rtp = options_.rtp_port_range;
  if (rtp.empty()) {
    unsigned base = free_port(SOCK_DGRAM);
    if (base > 65535 - 200)
      base = 65535 - 200;
    rtp = std::to_string(base) + "-" + std::to_string(base + 199);
  }
  fs::path dir = dir_.path;
  fs::path lib = lib_dir;
  auto log = dir / "janus.log";
  std::error_code ec;
  fs::remove(log, ec);

  write_file(dir / "janus.jcfg", "general: {\n"
                                 "  configs_folder = \"" +
                                     dir.string() +
                                     "\"\n"
                                     "  plugins_folder = \"" +
                                     (lib / "plugins").string() +
                                     "\"\n"
                                     "  transports_folder = \"" +
                                     (lib / "transports").string() +
                                     "\"\n"
                                     "  events_folder = \"" +
                                     (lib / "events").string() +
                                     "\"\n"
                                     "  loggers_folder = \"" +
                                     (lib / "loggers").string() +
                                     "\"\n"
                                     "  log_to_stdout = false\n"
                                     "  log_to_file = \"" +
                                     log.string() +
                                     "\"\n"
                                     "  debug_level = 4\n"
                                     "  debug_colors = false\n"
                                     "  debug_timestamps = true\n"
                                     "  server_name = \"lamplight-test\"\n"
                                     "  session_timeout = 60\n"
                                     "  reclaim_session_timeout = 0\n"
                                     "}\n"
                                     "media: {\n"
                                     "  rtp_port_range = \"" +
                                     rtp +
                                     "\"\n"
                                     "}\n"
                                     "nat: {\n"
                                     "  nice_debug = false\n"
                                     "  ice_enforce_list = \"" +
                                     (ns_ ? ns_->ns_dev : std::string("lo")) +
                                     "\"\n"
                                     "}\n"
                                     "plugins: {\n"
                                     "  disable = \"" +
                                     all_but(lib / "plugins", "libjanus_videoroom.so") +
                                     "\"\n"
                                     "}\n"
                                     "transports: {\n"
                                     "  disable = \"" +
                                     all_but(lib / "transports", "libjanus_websockets.so") +
                                     "\"\n"
                                     "}\n"
                                     "events: {\n"
                                     "  broadcast = false\n"
                                     "  disable = \"" +
                                     all_but(lib / "events", "") +
                                     "\"\n"
                                     "}\n"
                                     "loggers: {\n"
                                     "  disable = \"" +
                                     all_but(lib / "loggers", "") +
                                     "\"\n"
                                     "}\n");
  write_file(dir / "janus.transport.websockets.jcfg", "general: {\n"
                                                      "  json = \"compact\"\n"
                                                      "  ws = true\n"
                                                      "  ws_port = " +
                                                          std::to_string(ws_port) +
                                                          "\n"
                                                          "  ws_ip = \"" +
                                                          host +
                                                          "\"\n"
                                                          "  wss = false\n"
                                                          "}\n"
                                                          "admin: {\n"
                                                          "  admin_ws = false\n"
                                                          "  admin_wss = false\n"
                                                          "}\n");
  // No static rooms: every test creates the rooms it needs.
  write_file(dir / "janus.plugin.videoroom.jcfg", "general: {\n}\n");

  // -N as well as log_to_stdout: nobody drains the stdout pipe while Janus
  // runs, and a full pipe would stall it.
  std::vector<std::string> argv{binary, "-N"};
  argv.insert(argv.end(), {"-C", (dir / "janus.jcfg").string(), "-F", dir.string()});
  // `ip netns exec` enters the namespace and execs Janus in place (no fork),
  // so the pid child_process holds is Janus's own: signals and kill9() reach
  // it, not a wrapper. Checked below once Janus listens.
  if (ns_)
    argv.insert(argv.begin(), {ip_binary(), "netns", "exec", ns_->name});
  proc_ = std::make_unique<child_process>(argv);

  // Bounded readiness poll: Janus gives no other signal than its port. The
  // log line makes sure the port that accepts is ours, not a squatter's.
  auto needle = "(port " + std::to_string(ws_port) + ")";
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (proc_->wait(0ms)) {
      why = "it exited during start-up";
      return false;
    }
    std::ifstream f(log);
    std::stringstream text;
    text << f.rdbuf();
    if (text.str().find(needle) != std::string::npos && tcp_accepts(host, ws_port)) {
      if (ns_) {
        std::error_code exe_ec;
        auto exe = fs::read_symlink("/proc/" + std::to_string(proc_->pid()) + "/exe", exe_ec);
        if (!exe_ec && fs::equivalent(exe, ip_binary(), exe_ec))
          throw std::runtime_error("janus_process: 'ip netns exec' forked instead of exec'ing "
                                   "Janus; the pid held would not be Janus's");
      }
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  why = "port " + std::to_string(ws_port) + " did not accept within 20 s";
  return false;
}

pid_t janus_process::pid() const {
  return proc_ ? proc_->pid() : -1;
}

bool janus_process::running() const {
  return proc_ && !proc_->wait(0ms);
}

void janus_process::kill9() {
  if (proc_)
    proc_->stop(SIGKILL, 5s);
}

std::string janus_process::log_tail(std::size_t lines) const {
  std::ifstream f(dir_.path / "janus.log");
  std::deque<std::string> tail;
  for (std::string line; std::getline(f, line);) {
    tail.push_back(line);
    if (tail.size() > lines)
      tail.pop_front();
  }
  std::string out;
  for (auto& l : tail)
    out += l + "\n";
  return out.empty() ? "(no log)\n" : out;
}

} // namespace lamplight::test
