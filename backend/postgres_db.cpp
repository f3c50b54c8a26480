// The PostgreSQL driver (libpq), for a cluster: every node connects to one
// server and sees the same tenants, keys, history and webhook outbox.
// Statements are sent with their parameters typed (text or bigint) and
// executed when first stepped; their rows are read from the result.

#include <libpq-fe.h>

#include <cstdlib>
#include <optional>
#include <vector>

#include "backend/database_drivers.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;

// pg_type's OIDs (src/include/catalog/pg_type.dat): libpq-dev does not ship
// the server's catalog headers.
constexpr Oid int8_oid = 20;
constexpr Oid text_oid = 25;

/// Any key, the same in every lamplight process: migrations are serialized
/// on it.
constexpr const char* schema_lock_key = "7243301";

/// A connection attempt's limit unless the address names its own.
constexpr const char* connect_timeout_s = "5";

std::string trimmed(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

/// SQLSTATE class 23 (integrity constraint violation) is a duplicate or a
/// missing parent, already_exists as with SQLite; the rest is internal.
protocol::error result_error(PGconn* conn, PGresult* res, const std::string& what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  auto message = trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (message.empty())
    message = trimmed(PQerrorMessage(conn));
  if (state && state[0] == '2' && state[1] == '3')
    return {errc::already_exists, "database: constraint: " + message};
  return {errc::internal, "database: " + what + ": " + message};
}

struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

class postgres_database;

class postgres_statement final : public database::statement_impl {
public:
  postgres_statement(postgres_database& db, std::string sql) : db_(db), sql_(std::move(sql)) {}

  void bind_text(int index, std::string_view text) override {
    slot(index) = {std::string(text), text_oid};
  }
  void bind_integer(int index, int64_t value) override {
    slot(index) = {std::to_string(value), int8_oid};
  }
  void bind_null(int index) override { slot(index) = {std::nullopt, 0}; }

  protocol::result<bool> step() override;

  std::string text(int column) const override {
    if (!res_ || PQgetisnull(res_.get(), row_, column))
      return {};
    return std::string(PQgetvalue(res_.get(), row_, column),
                       static_cast<std::size_t>(PQgetlength(res_.get(), row_, column)));
  }
  int64_t integer(int column) const override {
    if (!res_ || PQgetisnull(res_.get(), row_, column))
      return 0;
    const char* v = PQgetvalue(res_.get(), row_, column);
    // Booleans come as t/f; SQLite gives 1/0 for the same expression.
    if (v[0] == 't' || v[0] == 'f')
      return v[0] == 't' ? 1 : 0;
    return std::strtoll(v, nullptr, 10);
  }
  bool is_null(int column) const override {
    return !res_ || PQgetisnull(res_.get(), row_, column);
  }

private:
  struct param {
    std::optional<std::string> value;
    Oid type = 0;
  };
  param& slot(int index) {
    auto i = static_cast<std::size_t>(index > 0 ? index - 1 : 0);
    if (params_.size() <= i)
      params_.resize(i + 1);
    return params_[i];
  }

  postgres_database& db_;
  std::string sql_;
  std::vector<param> params_;
  result_ptr res_;
  int row_ = -1;
};

class postgres_database final : public database {
public:
  explicit postgres_database(PGconn* conn) : conn_(conn) {
    // NOTICEs (e.g. "relation already exists, skipping") are not errors and
    // must not reach the node's stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~postgres_database() override { PQfinish(conn_); }
  postgres_database(const postgres_database&) = delete;
  postgres_database& operator=(const postgres_database&) = delete;

  database_kind kind() const override { return database_kind::postgres; }

  protocol::result<statement> prepare(std::string_view sql) override {
    if (auto err = usable(); err.code != errc::none)
      return err;
    return statement(std::make_unique<postgres_statement>(*this, numbered_placeholders(sql)));
  }

  protocol::error exec(const std::string& sql) override {
    if (auto err = usable(); err.code != errc::none)
      return err;
    result_ptr res(PQexec(conn_, sql.c_str()));
    return check(res.get(), "exec");
  }

  int64_t changes() const override { return changes_; }

  protocol::error begin() override {
    if (auto err = exec("BEGIN ISOLATION LEVEL SERIALIZABLE"); err.code != errc::none)
      return err;
    in_transaction_ = true;
    return {};
  }

  protocol::error commit() override {
    in_transaction_ = false;
    result_ptr res(PQexec(conn_, "COMMIT"));
    if (auto err = check(res.get(), "commit"); err.code != errc::none)
      return err;
    // A transaction in which a statement failed ends in ROLLBACK, reported
    // as success by the server: nothing was written.
    if (std::string_view(PQcmdStatus(res.get())) != "COMMIT")
      return {errc::internal, "database: commit: the transaction was rolled back"};
    return {};
  }

  void rollback() override {
    in_transaction_ = false;
    if (PQstatus(conn_) == CONNECTION_OK)
      result_ptr(PQexec(conn_, "ROLLBACK"));
  }

  protocol::error lock_schema() override {
    return exec(std::string("SELECT pg_advisory_lock(") + schema_lock_key + ")");
  }
  void unlock_schema() override {
    exec(std::string("SELECT pg_advisory_unlock(") + schema_lock_key + ")");
  }

  /// Runs a statement of `postgres_statement`.
  result_ptr execute(const std::string& sql, const std::vector<const char*>& values,
                     const std::vector<Oid>& types) {
    return result_ptr(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                                   types.data(), values.data(), nullptr, nullptr, 0));
  }

  protocol::error check(PGresult* res, const std::string& what) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return result_error(conn_, res, what);
    const char* n = PQcmdTuples(res);
    changes_ = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
    return {};
  }

private:
  /// A lost connection comes back at the next statement, unless it was lost
  /// inside a transaction: that one has failed, and its remaining
  /// statements must not run on a fresh connection without it.
  protocol::error usable() {
    if (PQstatus(conn_) == CONNECTION_OK)
      return {};
    if (in_transaction_)
      return {errc::internal, "database: connection lost in a transaction"};
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      return {errc::internal, "database: cannot reconnect: " + trimmed(PQerrorMessage(conn_))};
    return {};
  }

  PGconn* conn_;
  int64_t changes_ = 0;
  bool in_transaction_ = false;
};

protocol::result<bool> postgres_statement::step() {
  if (!res_) {
    std::vector<const char*> values;
    std::vector<Oid> types;
    for (const auto& p : params_) {
      values.push_back(p.value ? p.value->c_str() : nullptr);
      types.push_back(p.type);
    }
    res_ = db_.execute(sql_, values, types);
    if (auto err = db_.check(res_.get(), "step"); err.code != errc::none) {
      res_.reset();
      return err;
    }
  }
  if (PQresultStatus(res_.get()) != PGRES_TUPLES_OK)
    return false;
  return ++row_ < PQntuples(res_.get());
}

} // namespace

protocol::result<std::unique_ptr<database>> open_postgres(const std::string& uri) {
  // Keywords later in the list override earlier ones: the address's own
  // connect_timeout, if it has one, wins.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {connect_timeout_s, uri.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (!conn)
    return protocol::error{errc::internal, "database: out of memory"};
  if (PQstatus(conn) != CONNECTION_OK) {
    protocol::error err{errc::internal,
                        "database: cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn))};
    PQfinish(conn);
    return err;
  }
  auto out = std::make_unique<postgres_database>(conn);
  // A writer waits for another's row lock as SQLite's busy timeout would.
  if (auto err = out->exec("SET lock_timeout = '5s'"); err.code != errc::none)
    return err;
  return std::unique_ptr<database>(std::move(out));
}

} // namespace lamplight::backend
