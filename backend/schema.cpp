#include "backend/schema.hpp"

#include <string>
#include <vector>

namespace lamplight::backend {

namespace {

using protocol::errc;

struct migration {
  int64_t version;
  const char* sql;
};

/// Never edit a migration that shipped: add the next one.
const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
    {1, R"sql(
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
        created_ms BIGINT NOT NULL
      );
      CREATE TABLE api_keys (
        kid TEXT PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        secret TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT,
        revoked_ms BIGINT
      );
      CREATE INDEX api_keys_by_tenant ON api_keys (tenant);
    )sql"},
  };
  return all;
}

} // namespace

protocol::result<int64_t> current_version(sqlite_db& db) {
  if (auto err = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)");
      err.code != errc::none)
    return err;
  auto q = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!q)
    return q.err();
  auto row = q->step();
  if (!row)
    return row.err();
  return *row ? q->integer(0) : 0;
}

protocol::error migrate(sqlite_db& db, int64_t now_ms) {
  auto at = current_version(db);
  if (!at)
    return at.err();
  if (*at > schema_version)
    return {errc::internal, "database schema version " + std::to_string(*at)
                              + " is newer than this program's (" + std::to_string(schema_version)
                              + ")"};
  for (const auto& m : migrations()) {
    if (m.version <= *at)
      continue;
    transaction tx(db);
    if (!tx.started())
      return {errc::internal, "database: cannot start migration " + std::to_string(m.version)};
    // Another process (a second node, lamplight-admin) may have applied it
    // since we looked: the transaction holds the write lock now.
    auto now_at = current_version(db);
    if (!now_at)
      return now_at.err();
    if (*now_at >= m.version)
      continue;
    if (auto err = db.exec(m.sql); err.code != errc::none)
      return {errc::internal, "migration " + std::to_string(m.version) + ": " + err.message};
    auto rec = db.prepare("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)");
    if (!rec)
      return rec.err();
    if (auto err = rec->bind(1, m.version).bind(2, now_ms).run(); err.code != errc::none)
      return err;
    if (auto err = tx.commit(); err.code != errc::none)
      return err;
  }
  return {};
}

} // namespace lamplight::backend
