#include "backend/database.hpp"

#include "backend/database_drivers.hpp"

namespace lamplight::backend {

const char* to_string(database_kind x) {
  switch (x) {
    case database_kind::sqlite: return "sqlite";
    case database_kind::postgres: return "postgres";
  }
  return "?";
}

database_kind kind_of_address(std::string_view address) {
  for (std::string_view scheme : {"postgresql://", "postgres://"})
    if (address.substr(0, scheme.size()) == scheme)
      return database_kind::postgres;
  return database_kind::sqlite;
}

protocol::result<std::unique_ptr<database>> database::open(const std::string& address) {
  if (address.empty())
    return protocol::error{protocol::errc::bad_request, "database: no address"};
  if (kind_of_address(address) == database_kind::postgres)
    return open_postgres(address);
  return open_sqlite(address);
}

protocol::error database::statement::run() {
  return each([](const statement&) {});
}

protocol::error database::statement::each(const std::function<void(const statement&)>& row) {
  for (;;) {
    auto more = step();
    if (!more)
      return more.err();
    if (!*more)
      return {};
    row(*this);
  }
}

std::string numbered_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    // Quoted text and identifiers: copied to their closing quote (a doubled
    // quote inside is two closings back to back, so it needs no case).
    if (c == '\'' || c == '"') {
      auto end = sql.find(c, i + 1);
      end = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, end - i));
      i = end - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      auto end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, end - i));
      i = end - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace lamplight::backend
