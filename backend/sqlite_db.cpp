#include "backend/sqlite_db.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

namespace lamplight::backend {

namespace {

using protocol::errc;

protocol::error db_error(sqlite3* db, const std::string& what) {
  return {errc::internal, "database: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
}

/// How long a writer waits for another (the node's history writer, an
/// operator's lamplight-admin) before a call fails.
constexpr int busy_timeout_ms = 5000;

} // namespace

protocol::result<std::unique_ptr<sqlite_db>> sqlite_db::open(const std::filesystem::path& file) {
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
  std::unique_ptr<sqlite_db> out(new sqlite_db(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                             "PRAGMA foreign_keys=ON"})
    if (auto err = out->exec(pragma); err.code != errc::none)
      return err;
  return out;
}

sqlite_db::~sqlite_db() {
  sqlite3_close_v2(db_);
}

protocol::result<sqlite_db::statement> sqlite_db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr)
      != SQLITE_OK)
    return db_error(db_, "prepare");
  return statement(db_, stmt);
}

protocol::error sqlite_db::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    protocol::error err{errc::internal, std::string("database: ") + (msg ? msg : "failed")};
    sqlite3_free(msg);
    return err;
  }
  return {};
}

int64_t sqlite_db::changes() const {
  return sqlite3_changes(db_);
}

sqlite_db::statement::statement(statement&& other) noexcept
  : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

sqlite_db::statement::~statement() {
  sqlite3_finalize(stmt_);
}

sqlite_db::statement& sqlite_db::statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

sqlite_db::statement& sqlite_db::statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

sqlite_db::statement& sqlite_db::statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

protocol::result<bool> sqlite_db::statement::step() {
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW: return true;
    case SQLITE_DONE: return false;
    case SQLITE_CONSTRAINT: return protocol::error{errc::already_exists, "database: constraint"};
    default: return db_error(db_, "step");
  }
}

protocol::error sqlite_db::statement::run() {
  return each([](const statement&) {});
}

protocol::error sqlite_db::statement::each(const std::function<void(const statement&)>& row) {
  for (;;) {
    auto more = step();
    if (!more)
      return more.err();
    if (!*more)
      return {};
    row(*this);
  }
}

std::string sqlite_db::statement::text(int column) const {
  auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string{};
}

int64_t sqlite_db::statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool sqlite_db::statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

transaction::transaction(sqlite_db& db) : db_(db) {
  started_ = db_.exec("BEGIN IMMEDIATE").code == protocol::errc::none;
}

transaction::~transaction() {
  if (started_ && !done_)
    db_.exec("ROLLBACK");
}

protocol::error transaction::commit() {
  if (!started_)
    return {protocol::errc::internal, "database: no transaction"};
  done_ = true;
  return db_.exec("COMMIT");
}

} // namespace lamplight::backend
