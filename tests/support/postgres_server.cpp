#include "tests/support/postgres_server.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <unistd.h>

#include "backend/database.hpp"

namespace lamplight::test {

namespace {

using namespace std::chrono_literals;

constexpr const char* superuser = "lamplight";
/// Only names the socket file (.s.PGSQL.<port>): nothing listens on TCP.
constexpr const char* socket_port = "5432";
constexpr uid_t nobody_uid = 65534;
constexpr gid_t nobody_gid = 65534;

std::string find_bindir() {
  if (const char* env = std::getenv("LAMPLIGHT_PG_BINDIR"); env && *env)
    return env;
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    if (std::filesystem::exists(entry.path() / "bin" / "postgres"))
      found.push_back(entry.path() / "bin");
  if (found.empty())
    throw std::runtime_error(
      "no PostgreSQL server binaries in /usr/lib/postgresql (apt install postgresql)");
  std::sort(found.begin(), found.end());
  return found.back().string();
}

std::string tail(const std::vector<std::string>& lines) {
  std::string out;
  auto from = lines.size() > 20 ? lines.size() - 20 : 0;
  for (auto i = from; i < lines.size(); ++i)
    out += lines[i] + "\n";
  return out;
}

} // namespace

postgres_server::postgres_server() : bindir_(find_bindir()) {
  data_ = (dir_.path / "data").string();
  drop_root_ = ::geteuid() == 0;
  std::filesystem::create_directories(data_);
  std::filesystem::permissions(data_, std::filesystem::perms::owner_all);
  if (drop_root_ && (::chown(dir_.path.c_str(), nobody_uid, nobody_gid) != 0
                     || ::chown(data_.c_str(), nobody_uid, nobody_gid) != 0))
    throw std::runtime_error("cannot give " + data_ + " to nobody");
  child_process initdb(as_owner({bindir_ + "/initdb", "-D", data_, "-U", superuser,
                                 "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"}),
                       {}, true);
  while (initdb.read_line(60s)) {
  }
  auto status = initdb.wait(60s);
  if (!status || *status != 0)
    throw std::runtime_error("initdb failed:\n" + tail(initdb.lines()));
  start();
}

postgres_server::~postgres_server() {
  try {
    stop();
  } catch (const std::exception&) {
    // Nothing more to do: the directory goes with the object.
  }
}

std::vector<std::string> postgres_server::as_owner(std::vector<std::string> argv) const {
  // From the data directory: PostgreSQL's tools fail in a working directory
  // their user cannot read (root's home).
  std::vector<std::string> out{"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir_.path.string()};
  if (drop_root_)
    out = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
           "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir_.path.string()};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void postgres_server::start() {
  if (running_)
    return;
  // pg_ctl -w returns once the server accepts connections; the server's
  // log goes to a file (a pipe nobody reads would fill and stall it).
  run_pg_ctl({"start", "-w", "-t", "60", "-l", (dir_.path / "server.log").string(), "-o",
              std::string("-k ") + dir_.path.string() + " -p " + socket_port
                + " -c listen_addresses= -c fsync=off -c synchronous_commit=off"
                  " -c full_page_writes=off -c max_connections=200"});
  running_ = true;
}

void postgres_server::stop() {
  if (!running_)
    return;
  running_ = false;
  // Fast shutdown: open connections are cut, as when a database dies.
  run_pg_ctl({"stop", "-w", "-t", "60", "-m", "fast"});
}

void postgres_server::run_pg_ctl(std::vector<std::string> args) {
  auto verb = args.front();
  args.insert(args.begin(), {bindir_ + "/pg_ctl", "-D", data_});
  child_process ctl(as_owner(std::move(args)), {}, true);
  while (ctl.read_line(90s)) {
  }
  auto status = ctl.wait(90s);
  if (!status || *status != 0) {
    std::string log;
    std::error_code ec;
    if (std::filesystem::exists(dir_.path / "server.log", ec))
      log = "\n(see " + (dir_.path / "server.log").string() + ")";
    throw std::runtime_error("pg_ctl " + verb + " failed:\n" + tail(ctl.lines()) + log);
  }
}

std::string postgres_server::uri(const std::string& name) const {
  return "postgresql:///" + name + "?host=" + dir_.path.string() + "&port=" + socket_port
         + "&user=" + superuser;
}

std::string postgres_server::create_database(const std::string& name) {
  auto admin = backend::database::open(uri("postgres"));
  if (!admin)
    throw std::runtime_error(admin.err().message);
  if (auto err = (*admin)->exec("CREATE DATABASE \"" + name + "\"");
      err.code != protocol::errc::none)
    throw std::runtime_error(err.message);
  return uri(name);
}

postgres_server& shared_postgres() {
  static postgres_server server;
  return server;
}

} // namespace lamplight::test
