#pragma once

// A real PostgreSQL server for tests: a fresh cluster (initdb) in a
// temporary directory, listening on a Unix socket in that directory only (no
// TCP port to pick or collide on), started and stopped with pg_ctl (which
// waits until the server is ready or gone), stopped with the object. PostgreSQL
// refuses to run as root: when the test runs as root (CI does), the server
// runs as `nobody` (util-linux's setpriv), its directory owned by it.
//
// Binaries: LAMPLIGHT_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin
// (Debian's postgresql package). A start that fails throws
// std::runtime_error with the tail of the server's output.

#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace lamplight::test {

class postgres_server {
public:
  postgres_server();
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// A new, empty database on this server; returns its URI.
  std::string create_database(const std::string& name);
  /// The URI of database `name` (libpq syntax, as lamplight-node's
  /// --database takes it).
  std::string uri(const std::string& name) const;

  /// Stops the server (fast shutdown: open connections are cut) and starts
  /// it again on the same data: a database outage, for tests of what a
  /// node does without its database.
  void stop();
  void start();
  bool running() const { return running_; }

private:
  std::vector<std::string> as_owner(std::vector<std::string> argv) const;
  void run_pg_ctl(std::vector<std::string> args);

  temp_dir dir_;
  std::string bindir_;
  std::string data_;
  bool drop_root_ = false;
  bool running_ = false;
};

/// The server a test program shares between its cases, started at first use.
postgres_server& shared_postgres();

} // namespace lamplight::test
