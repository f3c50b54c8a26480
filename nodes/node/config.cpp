#include "nodes/node/config.hpp"

#include <cctype>
#include <fstream>
#include <tuple>
#include <sstream>

#include <boost/program_options.hpp>

#include "transport/endpoint.hpp"

namespace lamplight::node {

namespace po = boost::program_options;

namespace {

/// Durations are given in milliseconds ("1500") or with a unit ("30s",
/// "250ms", "2m").
bool parse_ms(const std::string& text, std::chrono::milliseconds& out) {
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (...) {
    return false;
  }
  auto unit = text.substr(used);
  long long factor = 0;
  if (unit.empty() || unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60000;
  if (factor == 0 || n < 0)
    return false;
  out = std::chrono::milliseconds(n * factor);
  return true;
}

/// "a,b,,c" -> {a, b, c}.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

} // namespace

bool node_config::dev_tokens_enabled() const {
  if (dev_tokens == "on" || dev_tokens == "any")
    return true;
  if (dev_tokens == "off")
    return false;
  return bind == "127.0.0.1" || bind == "::1" || bind == "localhost";
}

protocol::result<load_result> load_config(const std::vector<std::string>& args,
                                          const env_lookup& env) {
  load_result out;
  auto& c = out.config;
  std::string ring = "30s", media = "20s", grace = "10s", device = "10s", absent = "30s",
              flush = "200ms";
  po::options_description opts("lamplight-node options (precedence: flags > LAMPLIGHT_* "
                               "environment > config file > defaults)");
  // clang-format off
  opts.add_options()
    ("help,h", "show this help")
    ("config", po::value(&c.config_file), "config file (INI: key = value, same names as the flags)")
    ("name", po::value(&c.name)->default_value(c.name), "node name")
    ("bind", po::value(&c.bind)->default_value(c.bind), "address for signaling, HTTP and the web clients")
    ("port", po::value(&c.port)->default_value(c.port), "port for signaling, HTTP and the web clients (0: any)")
    ("shell-bind", po::value(&c.shell_bind)->default_value(c.shell_bind), "address of the actor shell endpoint")
    ("shell-port", po::value(&c.shell_port)->default_value(c.shell_port), "port of the actor shell endpoint (0: any)")
    ("media-bind", po::value(&c.media_bind)->default_value(c.media_bind), "address of the media UDP port (also the ICE candidate)")
    ("media-port", po::value(&c.media_port)->default_value(c.media_port), "first media UDP port, worker i on port + i (0: any)")
    ("media-workers", po::value(&c.media_workers)->default_value(c.media_workers), "media forwarding threads, one UDP port each (0: one per core)")
    ("cluster-port", po::value(&c.cluster_port)->default_value(c.cluster_port), "cluster endpoint (CAF middleman, on shell-bind) other nodes join through (0: any)")
    ("roles", po::value(&c.roles)->default_value(c.roles), "comma separated: gateway (clients' WebSockets), room (classrooms), media (media workers: members' media and pipes between nodes)")
    ("seeds", po::value(&c.seeds), "cluster endpoints (host:port, comma separated) of nodes to join; none: this node starts a cluster")
    ("provider", po::value(&c.provider)->default_value(c.provider), "media provider of classrooms whose creator names none: sfu (this node's) | janus")
    ("janus", po::value(&c.janus), "host:port of a Janus 1.1 WebSocket API (its websockets transport); classrooms with provider janus run their media there")
    ("janus-admin-key", po::value(&c.janus_admin_key), "the VideoRoom admin_key, if that Janus requires one to create rooms")
    ("data-dir", po::value(&c.data_dir)->default_value(c.data_dir), "journals and the token secret live here")
    ("database", po::value(&c.database), "the business layer's database: a PostgreSQL URI (postgresql://user@host/db, shared by the nodes of a cluster) or a SQLite file (default <data-dir>/lamplight.db)")
    ("web-root", po::value(&c.web_root), "folder of the web clients")
    ("token-secret-file", po::value(&c.token_secret_file), "HMAC-SHA256 key for join tokens (default <data-dir>/token.secret, created if absent)")
    ("dev-tokens", po::value(&c.dev_tokens)->default_value(c.dev_tokens), "GET /dev/token signs tokens of the demo tenant for loopback clients: on | off | auto "
     "(on when --bind is loopback) | any (of every tenant: a node without real tenants)")
    ("webhook-allow-loopback", po::value(&c.webhook_allow_loopback)->default_value(c.webhook_allow_loopback)->implicit_value(true), "let tenants' webhooks reach loopback addresses (tests, a single machine); refused otherwise")
    ("webhook-allow-private", po::value(&c.webhook_allow_private)->default_value(c.webhook_allow_private)->implicit_value(true), "let tenants' webhooks reach private networks (RFC 1918, CGNAT, IPv6 ULA); refused otherwise")
    ("admin-bind-any", po::value(&c.admin_bind_any)->default_value(c.admin_bind_any)->implicit_value(true), "GET /admin/status (classrooms, members, media workers as JSON) for any client; without it loopback clients only (GET /metrics is always open)")
    ("io-threads", po::value(&c.io_threads)->default_value(c.io_threads), "WebSocket/HTTP threads")
    ("max-frame-bytes", po::value(&c.max_frame_bytes)->default_value(c.max_frame_bytes), "largest signaling message")
    ("ws-idle-seconds", po::value(&c.ws_idle_seconds)->default_value(c.ws_idle_seconds), "a client WebSocket silent this long is dropped as dead (pinged at half of it)")
    ("api-rate", po::value(&c.api_rate)->default_value(c.api_rate), "server API requests a second per tenant on this node (0: no limit); past it 429")
    ("api-burst", po::value(&c.api_burst)->default_value(c.api_burst), "server API requests a tenant may send at once before api-rate applies")
    ("ring-timeout", po::value(&ring)->default_value(ring), "how long a call rings")
    ("media-setup-timeout", po::value(&media)->default_value(media), "how long an accepted call may take to connect media")
    ("reconnect-grace", po::value(&grace)->default_value(grace), "seat kept for a dropped connection")
    ("device-deadline", po::value(&device)->default_value(device), "default deadline of a device command")
    ("absent-grace", po::value(&absent)->default_value(absent), "seat kept for members after a restart")
    ("journal-flush", po::value(&flush)->default_value(flush), "fdatasync period of the journals");
  // clang-format on
  po::variables_map vm;
  try {
    std::vector<const char*> argv{"lamplight-node"};
    for (auto& a : args)
      argv.push_back(a.c_str());
    // program_options keeps the first value stored for a key: store the
    // sources from the strongest to the weakest.
    po::store(po::parse_command_line(static_cast<int>(argv.size()), argv.data(), opts), vm);
    // The environment: LAMPLIGHT_<NAME> for every option but help/config.
    std::vector<std::string> env_args{"lamplight-node"};
    for (const auto& opt : opts.options()) {
      const auto& key = opt->long_name();
      if (key == "help" || key == "config")
        continue;
      std::string var = "LAMPLIGHT_";
      for (char ch : key)
        var += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (const char* v = env(var.c_str()))
        env_args.push_back("--" + key + "=" + v);
    }
    std::vector<const char*> env_argv;
    for (auto& a : env_args)
      env_argv.push_back(a.c_str());
    po::store(po::parse_command_line(static_cast<int>(env_argv.size()), env_argv.data(), opts),
              vm);
    std::string file;
    if (vm.count("config"))
      file = vm["config"].as<std::string>();
    else if (const char* e = env("LAMPLIGHT_CONFIG"))
      file = e;
    if (!file.empty()) {
      std::ifstream in(file);
      if (!in)
        return protocol::error{protocol::errc::bad_request, "cannot read config file " + file};
      po::store(po::parse_config_file(in, opts, false), vm);
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    return protocol::error{protocol::errc::bad_request, e.what()};
  }
  if (vm.count("help")) {
    out.help = true;
    std::ostringstream os;
    os << opts;
    out.help_text = os.str();
  }
  for (auto [text, target, name] :
       {std::tuple{&ring, &c.ring_timeout, "ring-timeout"},
        std::tuple{&media, &c.media_setup_timeout, "media-setup-timeout"},
        std::tuple{&grace, &c.reconnect_grace, "reconnect-grace"},
        std::tuple{&device, &c.device_deadline, "device-deadline"},
        std::tuple{&absent, &c.absent_grace, "absent-grace"},
        std::tuple{&flush, &c.journal_flush, "journal-flush"}})
    if (!parse_ms(*text, *target))
      return protocol::error{protocol::errc::bad_request,
                             std::string("bad duration for ") + name + ": " + *text};
  if (c.dev_tokens != "on" && c.dev_tokens != "off" && c.dev_tokens != "auto"
      && c.dev_tokens != "any")
    return protocol::error{protocol::errc::bad_request, "dev-tokens is on, off, auto or any"};
  c.role_list = split_list(c.roles);
  for (const auto& r : c.role_list)
    if (r != "gateway" && r != "room" && r != "media")
      return protocol::error{protocol::errc::bad_request,
                             "roles are gateway, room and media, not " + r};
  if (c.role_list.empty())
    return protocol::error{protocol::errc::bad_request, "a node needs a role"};
  c.seed_list = split_list(c.seeds);
  for (const auto& s : c.seed_list)
    if (!transport::parse_host_port(s))
      return protocol::error{protocol::errc::bad_request, "a seed is host:port, not " + s};
  if (c.provider != "sfu" && c.provider != "janus")
    return protocol::error{protocol::errc::bad_request, "provider is sfu or janus"};
  if (!c.janus.empty()) {
    auto ep = transport::parse_host_port(c.janus);
    if (!ep)
      return protocol::error{protocol::errc::bad_request, "janus is host:port, not " + c.janus};
    c.janus_host = ep->first;
    c.janus_port = ep->second;
  }
  if (c.provider == "janus" && c.janus.empty())
    return protocol::error{protocol::errc::bad_request, "provider janus needs --janus host:port"};
  if (c.media_workers > 64)
    return protocol::error{protocol::errc::bad_request, "media-workers is 0..64"};
  if (c.io_threads == 0 || c.io_threads > 64)
    return protocol::error{protocol::errc::bad_request, "io-threads must be 1..64"};
  if (c.ws_idle_seconds < 2 || c.ws_idle_seconds > 3600)
    return protocol::error{protocol::errc::bad_request, "ws-idle-seconds must be 2..3600"};
  if (!(c.api_rate >= 0 && c.api_rate <= 1e6) || !(c.api_burst >= 1 && c.api_burst <= 1e6))
    return protocol::error{protocol::errc::bad_request, "api-rate must be 0..1e6 and api-burst 1..1e6"};
  if (c.max_frame_bytes < 1024 || c.max_frame_bytes > 16 * 1024 * 1024)
    return protocol::error{protocol::errc::bad_request, "max-frame-bytes must be 1 KiB..16 MiB"};
  if (c.token_secret_file.empty())
    c.token_secret_file = c.data_dir + "/token.secret";
  if (c.database.empty())
    c.database = c.data_dir + "/lamplight.db";
  return out;
}

} // namespace lamplight::node
