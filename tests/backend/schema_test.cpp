#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include "backend/schema.hpp"
#include "backend/database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;

BOOST_AUTO_TEST_SUITE(schema)

BOOST_AUTO_TEST_CASE(migrations_apply_once_and_are_recorded) {
  temp_dir dir;
  // In a directory that does not exist yet: made with the file.
  auto file = lamplight::test::test_database(dir, "db/lamplight.db");
  {
    auto db = database::open(file);
    BOOST_REQUIRE(bool(db));
    BOOST_TEST(*current_version(**db) == 0);
    BOOST_TEST((migrate(**db, 1000).code == errc::none));
    BOOST_TEST(*current_version(**db) == schema_version);
    // Again (a restart): nothing to do, nothing fails.
    BOOST_TEST((migrate(**db, 2000).code == errc::none));
    auto q = (*db)->prepare("SELECT COUNT(*), MIN(applied_ms) FROM schema_migrations");
    BOOST_REQUIRE(bool(q));
    BOOST_REQUIRE(*q->step());
    BOOST_TEST(q->integer(0) == schema_version);
    BOOST_TEST(q->integer(1) == 1000);
  }
  if (lamplight::test::testing_postgres())
    return;
  // The file holds API keys: its owner's only.
  struct stat st {};
  BOOST_REQUIRE(::stat(file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 077) == 0u);
}

BOOST_AUTO_TEST_CASE(a_database_newer_than_the_program_is_refused) {
  temp_dir dir;
  auto db = database::open(lamplight::test::test_database(dir));
  BOOST_REQUIRE(bool(db));
  BOOST_REQUIRE((migrate(**db, 1).code == errc::none));
  BOOST_REQUIRE(((*db)->exec("INSERT INTO schema_migrations VALUES (999, 5)").code == errc::none));
  auto err = migrate(**db, 2);
  BOOST_TEST((err.code == errc::internal));
  BOOST_TEST(err.message.find("newer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(two_connections_migrate_the_same_file) {
  // A node and lamplight-admin may start at once on one data directory.
  temp_dir dir;
  auto a = database::open(lamplight::test::test_database(dir));
  auto b = database::open(lamplight::test::test_database(dir));
  BOOST_REQUIRE((a && b));
  BOOST_TEST((migrate(**a, 1).code == errc::none));
  BOOST_TEST((migrate(**b, 2).code == errc::none));
  BOOST_TEST(*current_version(**b) == schema_version);
}

BOOST_AUTO_TEST_SUITE_END()
