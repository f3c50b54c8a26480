// The SQLite driver: one connection in WAL mode (readers never wait for the
// writer; another process, e.g. lamplight-admin beside a running node, may
// use the same file), with a busy timeout instead of SQLITE_BUSY errors and
// foreign keys on.

#include <sqlite3.h>
#include <sys/stat.h>

#include "backend/database_drivers.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;

protocol::error db_error(sqlite3* db, const std::string& what) {
  return {errc::internal, "database: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
}

/// How long a writer waits for another (the node's history writer, an
/// operator's lamplight-admin) before a call fails.
constexpr int busy_timeout_ms = 5000;

class sqlite_statement final : public database::statement_impl {
public:
  sqlite_statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~sqlite_statement() override { sqlite3_finalize(stmt_); }
  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;

  void bind_text(int index, std::string_view text) override {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind_integer(int index, int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void bind_null(int index) override { sqlite3_bind_null(stmt_, index); }

  protocol::result<bool> step() override {
    switch (sqlite3_step(stmt_)) {
      case SQLITE_ROW: return true;
      case SQLITE_DONE: return false;
      case SQLITE_CONSTRAINT: return protocol::error{errc::already_exists, "database: constraint"};
      default: return db_error(db_, "step");
    }
  }

  std::string text(int column) const override {
    auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string{};
  }
  int64_t integer(int column) const override { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }

private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class sqlite_database final : public database {
public:
  explicit sqlite_database(sqlite3* db) : db_(db) {}
  ~sqlite_database() override { sqlite3_close_v2(db_); }
  sqlite_database(const sqlite_database&) = delete;
  sqlite_database& operator=(const sqlite_database&) = delete;

  database_kind kind() const override { return database_kind::sqlite; }

  protocol::result<statement> prepare(std::string_view sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr)
        != SQLITE_OK)
      return db_error(db_, "prepare");
    return statement(std::make_unique<sqlite_statement>(db_, stmt));
  }

  protocol::error exec(const std::string& sql) override {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      protocol::error err{errc::internal, std::string("database: ") + (msg ? msg : "failed")};
      sqlite3_free(msg);
      return err;
    }
    return {};
  }

  int64_t changes() const override { return sqlite3_changes(db_); }

  // IMMEDIATE takes the write lock at BEGIN: two writers never both read
  // and then fail to upgrade (SQLite's transactions are serializable).
  protocol::error begin() override { return exec("BEGIN IMMEDIATE"); }
  protocol::error commit() override { return exec("COMMIT"); }
  void rollback() override { exec("ROLLBACK"); }
  // Migrations run in BEGIN IMMEDIATE transactions: the write lock is the
  // schema lock.
  protocol::error lock_schema() override { return {}; }
  void unlock_schema() override {}

private:
  sqlite3* db_;
};

} // namespace

protocol::result<std::unique_ptr<database>> open_sqlite(const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path())
    std::filesystem::create_directories(file.parent_path(), ec);
  // API keys live in this file: created for its owner only.
  auto old_mask = ::umask(077);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  ::umask(old_mask);
  if (rc != SQLITE_OK) {
    auto err = db_error(db, "cannot open " + file.string());
    sqlite3_close(db);
    return err;
  }
  auto out = std::make_unique<sqlite_database>(db);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                             "PRAGMA foreign_keys=ON"})
    if (auto err = out->exec(pragma); err.code != errc::none)
      return err;
  return std::unique_ptr<database>(std::move(out));
}

} // namespace lamplight::backend
