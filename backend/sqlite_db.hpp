#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/errc.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace lamplight::backend {

/// One SQLite connection in WAL mode (readers never wait for the writer;
/// another process, e.g. lamplight-admin beside a running node, may use the
/// same file), with a busy timeout instead of SQLITE_BUSY errors, foreign
/// keys on, and the file readable by its owner only (it holds API keys).
/// Not thread-safe: its owner serializes calls.
class sqlite_db {
public:
  static protocol::result<std::unique_ptr<sqlite_db>> open(const std::filesystem::path& file);
  ~sqlite_db();
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  /// A prepared statement; parameters bound by position (1-based) as text
  /// or integers: values never become SQL.
  class statement {
  public:
    statement(statement&& other) noexcept;
    statement& operator=(statement&&) = delete;
    ~statement();
    statement& bind(int index, std::string_view text);
    statement& bind(int index, int64_t value);
    statement& bind_null(int index);
    /// The next row: true; done: false; an error: internal.
    protocol::result<bool> step();
    /// Runs to the end (for statements without rows).
    protocol::error run();
    /// Runs to the end, giving each row to `row`.
    protocol::error each(const std::function<void(const statement&)>& row);
    std::string text(int column) const;
    int64_t integer(int column) const;
    bool is_null(int column) const;

  private:
    friend class sqlite_db;
    statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    sqlite3* db_;
    sqlite3_stmt* stmt_;
  };

  protocol::result<statement> prepare(std::string_view sql);
  /// Runs SQL without parameters or rows (schema, transactions).
  protocol::error exec(const std::string& sql);
  /// Rows the last INSERT, UPDATE or DELETE changed.
  int64_t changes() const;

private:
  explicit sqlite_db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
class transaction {
public:
  explicit transaction(sqlite_db& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  /// false if BEGIN failed: nothing may be written then.
  bool started() const { return started_; }
  protocol::error commit();

private:
  sqlite_db& db_;
  bool started_ = false;
  bool done_ = false;
};

} // namespace lamplight::backend
