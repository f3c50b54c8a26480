#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend/database.hpp"

namespace lamplight::backend {

/// The schema's versions, oldest first; `migrate` applies the ones a
/// database lacks, each in its own transaction, and records it in
/// schema_migrations. Written in the SQL SQLite and PostgreSQL share.
inline constexpr int64_t schema_version = 8;

/// Brings `db` to schema_version. errc::internal if a migration fails (the
/// database keeps the last version that applied) or if the database is
/// newer than this program (it refuses to run on a schema it does not know).
protocol::error migrate(database& db, int64_t now_ms);

/// Opens the database at `address` (database::open) and migrates it: what
/// every part of the business layer does first.
protocol::result<std::unique_ptr<database>> open_migrated(const std::string& address,
                                                          int64_t now_ms);

/// The version `db` is at (0: empty).
protocol::result<int64_t> current_version(database& db);

} // namespace lamplight::backend
