// Two lamplight-node processes of one cluster on one PostgreSQL database (a
// real server this test starts and stops, as its own user): a tenant and
// its key made once with lamplight-admin are known to both nodes; a
// classroom scheduled through one node's API is joined through both; the
// lesson's history, written by the node that ran the classroom, is read
// through the other; a signed request replayed to the other node is
// refused; and a key revoked once is refused by both at their
// next request or join.
#include <boost/test/unit_test.hpp>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "tests/support/institution.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/postgres_server.hpp"

using namespace std::chrono_literals;
using lamplight::test::eventually;
using lamplight::test::institution;
using lamplight::test::node_process;
namespace apiv = lamplight::api::v1;
namespace sig = lamplight::signal::v1;
namespace pb = google::protobuf;

namespace {

std::vector<std::string> node_args(const std::string& name, const std::string& seed,
                                   const std::string& database) {
  std::vector<std::string> a{"--name", name, "--cluster-port", "0", "--token-secret-file",
                             lamplight::test::cluster_secret_file(), "--database", database};
  if (!seed.empty())
    a.insert(a.end(), {"--seeds", seed});
  return a;
}

/// How many nodes `n` sees alive, from its /admin/status.
int alive_seen_by(const node_process& n) {
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/admin/status");
  pb::Struct s;
  if (r.status != 200 || !pb::util::JsonStringToMessage(r.body, &s).ok())
    return 0;
  int alive = 0;
  if (auto c = s.fields().find("cluster"); c != s.fields().end())
    for (const auto& m : c->second.list_value().values())
      alive += m.struct_value().fields().at("state").string_value() == "alive";
  return alive;
}

} // namespace

BOOST_AUTO_TEST_SUITE(postgres_cluster)

BOOST_AUTO_TEST_CASE(two_nodes_share_tenants_keys_and_history_through_one_database) {
  lamplight::test::postgres_server pg;
  auto database = pg.create_database("lamplight");
  node_process a(node_args("a", "", database));
  node_process b(node_args("b", "127.0.0.1:" + std::to_string(a.cluster_port), database));
  BOOST_REQUIRE(eventually([&] { return alive_seen_by(a) == 2 && alive_seen_by(b) == 2; }, 20s));

  // Made once, beside both nodes, on the cluster's database.
  auto via_a = lamplight::test::make_institution(LAMPLIGHT_ADMIN_BIN, {"--database", database},
                                                 "acme", "Acme Tutoring", a.http_port);
  institution via_b = via_a;
  via_b.port = b.http_port;

  via_a.ok<apiv::Classroom>(
    "POST", "/api/v1/classrooms",
    R"({"id":"math-1","title":"Fractions","mode":"small_group","teacher":"t-1"})", 201);
  // The record is in the shared database: the other node knows it.
  BOOST_TEST(via_b.ok<apiv::Classroom>("GET", "/api/v1/classrooms/math-1").title() == "Fractions");

  // Tokens from either node, joins through either node.
  auto teacher = lamplight::test::join_member(a.http_port, via_b.token("math-1", "t-1", "teacher"));
  auto student = lamplight::test::join_member(b.http_port, via_a.token("math-1", "s-1", "student"));
  BOOST_REQUIRE(eventually(
    [&] {
      auto r = via_b.call("GET", "/api/v1/classrooms/math-1");
      apiv::Classroom c;
      return r.status == 200 && pb::util::JsonStringToMessage(r.body, &c).ok() && c.live()
             && c.members_size() == 2;
    },
    20s));
  lamplight::test::leave_member(*student);
  BOOST_TEST(via_b.ok<apiv::Classroom>("POST", "/api/v1/classrooms/math-1/end").has_ended_at());

  // Written by whichever node ran the classroom, read through both.
  for (const auto* who : {&via_a, &via_b}) {
    apiv::LessonList lessons;
    BOOST_REQUIRE(eventually(
      [&] {
        lessons = who->ok<apiv::LessonList>("GET", "/api/v1/lessons?classroom=math-1");
        return lessons.lessons_size() == 1 && lessons.lessons(0).has_ended_at();
      },
      20s));
    BOOST_TEST(lessons.lessons(0).participants() == 2u);
  }

  // A signed request captured on its way to one node is refused by the
  // other: the nonces are claimed in the shared database.
  const std::string nonce = "captured-0123456789";
  BOOST_TEST(via_a.call("GET", "/api/v1/lessons", "", nonce).status == 200);
  auto replay = via_b.call("GET", "/api/v1/lessons", "", nonce);
  BOOST_TEST(replay.status == 401);
  BOOST_TEST(replay.body.find("seen by another node") != std::string::npos, replay.body);

  // Revoked once: refused by both nodes at once, for the API and for joins.
  lamplight::test::run_admin(LAMPLIGHT_ADMIN_BIN,
                             {"--database", database, "key", "revoke", "acme", via_a.kid});
  BOOST_TEST(via_a.refused("GET", "/api/v1/lessons", 401) == "unauthenticated");
  BOOST_TEST(via_b.refused("GET", "/api/v1/lessons", 401) == "unauthenticated");
  auto made_before = lamplight::protocol::sign_token(
    [] {
      lamplight::protocol::token_claims c;
      c.tenant = "acme";
      c.classroom = "math-2";
      c.identity = "t-1";
      c.role = sig::ROLE_TEACHER;
      c.expires_at = lamplight::backend::wall_ms() / 1000 + 600;
      return c;
    }(),
    via_a.secret, via_a.kid);
  for (auto* n : {&a, &b})
    BOOST_TEST(lamplight::test::try_join(n->http_port, made_before).refused
               == sig::ERROR_UNAUTHENTICATED);
  (void) teacher;
}

BOOST_AUTO_TEST_SUITE_END()
