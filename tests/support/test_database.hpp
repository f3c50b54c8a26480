#pragma once

// Where a backend test's database lives. By default a SQLite file in the
// test's directory; with LAMPLIGHT_TEST_DATABASE=postgres, a database of its
// own on a real PostgreSQL server the test program starts (ctest runs the
// backend tests both ways: backend_tests and backend_postgres_tests).

#include <string>

#include "tests/support/temp_dir.hpp"

namespace lamplight::test {

bool testing_postgres();

/// The same (dir, name) gives the same database, as the same file would.
std::string test_database(const temp_dir& dir, const std::string& name = "lamplight.db");

} // namespace lamplight::test
