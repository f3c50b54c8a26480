// The database layer under the business layer: the SQL both engines share,
// what one connection writes being what another (another node) reads at
// once, and, on PostgreSQL, a server that goes away and comes back.

#include <boost/test/unit_test.hpp>

#include "backend/api_nonces.hpp"
#include "backend/database.hpp"
#include "backend/history_queries.hpp"
#include "backend/history_writer.hpp"
#include "backend/schema.hpp"
#include "backend/tenant_registry.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

using namespace lamplight::backend;
using namespace std::chrono_literals;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;
using lamplight::test::test_database;
using lamplight::test::testing_postgres;

namespace sig = lamplight::signal::v1;

namespace {

template <class T>
T must(lamplight::protocol::result<T> r) {
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  return std::move(*r);
}

bool on_postgres() {
  return testing_postgres();
}

struct on_postgres_only {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    return testing_postgres();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(database_layer)

BOOST_AUTO_TEST_CASE(question_marks_become_numbered_outside_quotes_and_comments) {
  BOOST_TEST(numbered_placeholders("SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?")
             == "SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT $3");
  BOOST_TEST(numbered_placeholders("SELECT '?', \"a?\" FROM t WHERE x = ?")
             == "SELECT '?', \"a?\" FROM t WHERE x = $1");
  BOOST_TEST(numbered_placeholders("SELECT 'it''s ?' -- why?\n, ?") == "SELECT 'it''s ?' -- why?\n, $1");
  // Unclosed quotes and comments run to the end, as the server reads them.
  BOOST_TEST(numbered_placeholders("SELECT '?") == "SELECT '?");
  BOOST_TEST(numbered_placeholders("? -- ?") == "$1 -- ?");
  BOOST_TEST(numbered_placeholders("") == "");
}

BOOST_AUTO_TEST_CASE(addresses_name_their_engine) {
  BOOST_TEST(to_string(kind_of_address("postgresql://u@db.example/lamplight")) == "postgres");
  BOOST_TEST(to_string(kind_of_address("postgres:///x?host=/run/pg")) == "postgres");
  BOOST_TEST(to_string(kind_of_address("lamplight-data/lamplight.db")) == "sqlite");
  BOOST_TEST(to_string(kind_of_address("/var/lib/postgresql.db")) == "sqlite");
  BOOST_TEST((database::open("").err().code == errc::bad_request));
}

BOOST_AUTO_TEST_CASE(both_engines_answer_the_shared_sql_alike) {
  temp_dir dir;
  auto db = must(database::open(test_database(dir)));
  BOOST_TEST(to_string(db->kind()) == (on_postgres() ? "postgres" : "sqlite"));
  BOOST_REQUIRE((migrate(*db, 1).code == errc::none));
  BOOST_REQUIRE((db->exec("INSERT INTO tenants (id, name, status, created_ms) VALUES ('acme', 'Acme', 'active', 5)").code
                 == errc::none));
  // A duplicate key: already_exists, as the registries expect.
  auto dup = must(db->prepare("INSERT INTO tenants (id, name, status, created_ms) VALUES (?, ?, 'active', ?)"));
  BOOST_TEST((dup.bind(1, "acme").bind(2, "Again").bind(3, int64_t{6}).run().code
              == errc::already_exists));
  // Parameters typed by what is bound (text, integer, null); booleans read
  // as 0/1; NULL reads as null.
  auto q = must(db->prepare("SELECT id, created_ms + ?, created_ms IS NULL, COALESCE(?, 7), name "
                            "FROM tenants WHERE id = ? AND created_ms < ?"));
  q.bind(1, int64_t{10}).bind_null(2).bind(3, "acme").bind(4, int64_t{1'000'000'000'000});
  auto row = q.step();
  BOOST_REQUIRE_MESSAGE(row && *row, (row ? "no row" : row.err().message));
  BOOST_TEST(q.text(0) == "acme");
  BOOST_TEST(q.integer(1) == 15);
  BOOST_TEST(q.integer(2) == 0);
  BOOST_TEST(q.integer(3) == 7);
  BOOST_TEST(!q.is_null(4));
  BOOST_TEST(!*q.step());
  // Values are never SQL.
  auto evil = must(db->prepare("SELECT COUNT(*) FROM tenants WHERE id = ?"));
  evil.bind(1, "x' OR '1'='1");
  BOOST_REQUIRE(*evil.step());
  BOOST_TEST(evil.integer(0) == 0);
  // changes() counts the last statement's rows.
  auto upd = must(db->prepare("UPDATE tenants SET name = ? WHERE id = ?"));
  BOOST_REQUIRE((upd.bind(1, "Acme Ltd").bind(2, "acme").run().code == errc::none));
  BOOST_TEST(db->changes() == 1);
}

BOOST_AUTO_TEST_CASE(a_key_revoked_through_one_connection_is_refused_through_another) {
  // Two nodes of a cluster on one database: lamplight-admin revokes on one,
  // the other refuses the key at its next join.
  temp_dir dir;
  auto address = test_database(dir);
  auto node_a = must(tenant_registry::open(address));
  auto node_b = must(tenant_registry::open(address));
  BOOST_REQUIRE(bool(node_a->create_tenant("acme", "Acme")));
  auto key = must(node_a->create_key("acme"));
  BOOST_TEST(bool(node_b->lookup(key.key.kid)));
  BOOST_REQUIRE((node_a->revoke_key("acme", key.key.kid).code == errc::none));
  BOOST_TEST(!node_b->lookup(key.key.kid));
  auto other = must(node_b->create_key("acme"));
  BOOST_REQUIRE((node_b->set_status("acme", tenant_status::suspended).code == errc::none));
  BOOST_TEST(!node_a->lookup(other.key.kid));
}

BOOST_AUTO_TEST_CASE(an_api_nonce_claimed_through_one_connection_is_a_replay_through_another) {
  temp_dir dir;
  auto address = test_database(dir);
  int64_t now_ms = 1'800'000'000'000;
  auto node_a = must(api_nonce_store::open(address, [&] { return now_ms; }));
  auto node_b = must(api_nonce_store::open(address, [&] { return now_ms; }));
  int64_t expires = now_ms + 300'000;
  BOOST_TEST(must(node_a->claim("k_1", "n-1", expires)));
  BOOST_TEST(!must(node_b->claim("k_1", "n-1", expires)));
  BOOST_TEST(!must(node_a->claim("k_1", "n-1", expires)));
  // A nonce belongs to its key: another key may use the same one.
  BOOST_TEST(must(node_b->claim("k_2", "n-1", expires)));
  // Expired claims are swept (once a minute), then the pair is free again;
  // the verifier's time window refuses such an old request before that.
  now_ms = expires + 61'000;
  BOOST_TEST(must(node_b->claim("k_1", "n-2", now_ms + 300'000)));
  BOOST_TEST(must(node_a->claim("k_1", "n-1", now_ms + 300'000)));
  auto left = must(database::open(address));
  auto n = must(left->prepare("SELECT COUNT(*) FROM api_nonces"));
  BOOST_REQUIRE(*n.step());
  BOOST_TEST(n.integer(0) == 2);
}

BOOST_AUTO_TEST_CASE(a_failed_statement_fails_its_transactions_commit,
                     *boost::unit_test::precondition(on_postgres_only{})) {
  temp_dir dir;
  auto db = must(database::open(test_database(dir)));
  BOOST_REQUIRE((migrate(*db, 1).code == errc::none));
  transaction tx(*db);
  BOOST_REQUIRE(tx.started());
  BOOST_REQUIRE((db->exec("INSERT INTO tenants (id, name, status, created_ms) VALUES ('a', 'A', 'active', 1)").code == errc::none));
  BOOST_TEST((db->exec("INSERT INTO tenants (id, name, status, created_ms) VALUES ('a', 'A', 'active', 1)").code
              == errc::already_exists));
  // The server ends such a transaction with ROLLBACK: commit says so.
  BOOST_TEST((tx.commit().code == errc::internal));
  auto n = must(db->prepare("SELECT COUNT(*) FROM tenants"));
  BOOST_REQUIRE(*n.step());
  BOOST_TEST(n.integer(0) == 0);
}

BOOST_AUTO_TEST_CASE(a_database_outage_refuses_keys_then_loses_no_history,
                     *boost::unit_test::precondition(on_postgres_only{})) {
  temp_dir dir;
  auto address = test_database(dir);
  auto reg = must(tenant_registry::open(address));
  BOOST_REQUIRE(bool(reg->create_tenant("acme", "Acme")));
  auto key = must(reg->create_key("acme"));
  history_options o;
  o.retry_backoff = 10ms;
  o.max_backoff = 50ms;
  auto writer = must(history_writer::open(address, o));

  auto& server = lamplight::test::shared_postgres();
  server.stop();
  // No database: a join is refused (no key can be checked), nothing fails
  // harder than that; the lesson's events wait in the writer's queue.
  BOOST_TEST(!reg->lookup(key.key.kid));
  sig::ClassroomEvent created;
  created.set_seq(1);
  created.set_at_ms(1'800'000'000'000);
  created.mutable_created()->set_mode(sig::MODE_ONE_ON_ONE);
  writer->post("acme", "math-1", created);
  BOOST_TEST(!writer->flush(200ms));
  server.start();
  // Back: the same connections reconnect at their next statement.
  BOOST_REQUIRE(writer->flush(20s));
  BOOST_TEST(bool(reg->lookup(key.key.kid)));
  auto st = writer->stats();
  BOOST_TEST(st.written == 1u);
  BOOST_TEST(st.dropped == 0u);
  auto store = must(history_store::open(address));
  BOOST_TEST(store->lessons("acme", {})->lessons_size() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
