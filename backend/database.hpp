#pragma once

// The business layer's database: SQLite (WAL) embedded for an all-in-one
// node, PostgreSQL for a cluster, behind one small interface. Queries are
// written once, in the SQL both share, with `?` placeholders; the drivers
// differ only where the engines do (locking, transaction isolation, error
// codes).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/errc.hpp"

namespace lamplight::backend {

enum class database_kind { sqlite, postgres };
const char* to_string(database_kind x);

/// Where a database is: a PostgreSQL connection URI (`postgresql://...` or
/// `postgres://...`, libpq's syntax), otherwise the path of a SQLite file.
database_kind kind_of_address(std::string_view address);

/// One connection. Not thread-safe: its owner serializes calls.
class database {
public:
  /// What a driver gives a statement; see `statement`.
  class statement_impl {
  public:
    virtual ~statement_impl() = default;
    virtual void bind_text(int index, std::string_view text) = 0;
    virtual void bind_integer(int index, int64_t value) = 0;
    virtual void bind_null(int index) = 0;
    virtual protocol::result<bool> step() = 0;
    virtual std::string text(int column) const = 0;
    virtual int64_t integer(int column) const = 0;
    virtual bool is_null(int column) const = 0;
  };

  /// A prepared statement; parameters bound by position (1-based) as text
  /// or integers: values never become SQL.
  class statement {
  public:
    explicit statement(std::unique_ptr<statement_impl> impl) : impl_(std::move(impl)) {}
    statement(statement&&) noexcept = default;
    statement& operator=(statement&&) = delete;
    ~statement() = default;
    statement& bind(int index, std::string_view text) {
      impl_->bind_text(index, text);
      return *this;
    }
    statement& bind(int index, int64_t value) {
      impl_->bind_integer(index, value);
      return *this;
    }
    statement& bind_null(int index) {
      impl_->bind_null(index);
      return *this;
    }
    /// The next row: true; done: false. A constraint violated:
    /// already_exists; any other failure: internal.
    protocol::result<bool> step() { return impl_->step(); }
    /// Runs to the end (for statements without rows).
    protocol::error run();
    /// Runs to the end, giving each row to `row`.
    protocol::error each(const std::function<void(const statement&)>& row);
    std::string text(int column) const { return impl_->text(column); }
    /// An integer column (a boolean one reads as 0 or 1).
    int64_t integer(int column) const { return impl_->integer(column); }
    bool is_null(int column) const { return impl_->is_null(column); }

  private:
    std::unique_ptr<statement_impl> impl_;
  };

  /// Opens the database at `address` (see kind_of_address). A SQLite file
  /// is created, with its directory, readable by its owner only (it holds
  /// API keys). A PostgreSQL server must be reachable now; a connection
  /// lost later is re-established at the next statement outside a
  /// transaction.
  static protocol::result<std::unique_ptr<database>> open(const std::string& address);

  virtual ~database() = default;
  virtual database_kind kind() const = 0;
  virtual protocol::result<statement> prepare(std::string_view sql) = 0;
  /// Runs SQL without parameters (schema, one or more statements); rows, if
  /// any, are discarded.
  virtual protocol::error exec(const std::string& sql) = 0;
  /// Rows the last INSERT, UPDATE or DELETE changed.
  virtual int64_t changes() const = 0;

  /// A transaction that reads and writes as if alone. SQLite: BEGIN
  /// IMMEDIATE (the file's write lock, waited for up to 5 s). PostgreSQL:
  /// SERIALIZABLE; a conflict with another node's transaction fails a
  /// statement or the commit, and the caller retries as after any failure.
  virtual protocol::error begin() = 0;
  /// Fails if anything in the transaction failed (nothing is written then).
  virtual protocol::error commit() = 0;
  virtual void rollback() = 0;

  /// Serializes schema migrations between processes sharing the database
  /// (nodes of a cluster, lamplight-admin): held until `unlock_schema`.
  virtual protocol::error lock_schema() = 0;
  virtual void unlock_schema() = 0;
};

/// begin ... commit, rolled back unless committed.
class transaction {
public:
  explicit transaction(database& db) : db_(db) {
    started_ = db_.begin().code == protocol::errc::none;
  }
  ~transaction() {
    if (started_ && !done_)
      db_.rollback();
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  /// false if BEGIN failed: nothing may be written then.
  bool started() const { return started_; }
  protocol::error commit() {
    if (!started_)
      return {protocol::errc::internal, "database: no transaction"};
    done_ = true;
    return db_.commit();
  }

private:
  database& db_;
  bool started_ = false;
  bool done_ = false;
};

/// `?` placeholders made PostgreSQL's `$1, $2, ...`, left alone inside
/// quoted strings, quoted identifiers and comments.
std::string numbered_placeholders(std::string_view sql);

} // namespace lamplight::backend
