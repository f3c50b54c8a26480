#pragma once

// The drivers behind database::open; nothing else includes this.

#include <filesystem>
#include <string>

#include "backend/database.hpp"

namespace lamplight::backend {

protocol::result<std::unique_ptr<database>> open_sqlite(const std::filesystem::path& file);
protocol::result<std::unique_ptr<database>> open_postgres(const std::string& uri);

} // namespace lamplight::backend
