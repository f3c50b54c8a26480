// Three lamplight-node processes on loopback form a cluster through a seed,
// and each sees the others come, die (kill -9: CAF's monitor notices the
// dropped connection), leave (SIGTERM: a goodbye) and come back (a new
// incarnation under the same name). What an operator sees is what is
// checked: GET /admin/status and /metrics on every node.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <map>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using lamplight::test::node_process;
namespace pb = google::protobuf;

namespace {

/// name -> state, from a node's /admin/status.
std::map<std::string, std::string> members_seen_by(const node_process& n) {
  std::map<std::string, std::string> out;
  auto r = lamplight::transport::http_get("127.0.0.1", n.http_port, "/admin/status");
  if (r.status != 200)
    return out;
  pb::Struct s;
  if (!pb::util::JsonStringToMessage(r.body, &s).ok())
    return out;
  auto c = s.fields().find("cluster");
  if (c == s.fields().end())
    return out;
  for (const auto& m : c->second.list_value().values()) {
    const auto& f = m.struct_value().fields();
    out[f.at("name").string_value()] = f.at("state").string_value();
  }
  return out;
}

/// Waits (bounded) until every node in `nodes` sees `want`.
bool all_see(const std::vector<const node_process*>& nodes,
             const std::map<std::string, std::string>& want, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    bool ok = true;
    for (auto* n : nodes) {
      auto seen = members_seen_by(*n);
      for (const auto& [name, state] : want)
        ok = ok && seen.count(name) && seen[name] == state;
    }
    if (ok)
      return true;
    std::this_thread::sleep_for(100ms);  // polling a condition, bounded by the deadline
  }
  return false;
}

std::string dump(const node_process& n) {
  std::string out;
  for (auto& [name, state] : members_seen_by(n))
    out += name + "=" + state + " ";
  return out;
}

std::vector<std::string> node_args(const std::string& name, const std::string& seed) {
  std::vector<std::string> a{"--name", name, "--cluster-port", "0"};
  if (!seed.empty())
    a.insert(a.end(), {"--seeds", seed});
  return a;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(nodes_join_through_a_seed_and_see_each_other_die_leave_and_return) {
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  node_process b(node_args("b", seed));
  node_process c(node_args("c", seed));
  // c learnt about b from the seed and greeted it directly.
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b, &c}, {{"a", "alive"}, {"b", "alive"}, {"c", "alive"}}, 15s),
                        "a: " << dump(a) << " b: " << dump(b) << " c: " << dump(c));

  // kill -9: no goodbye; the dropped connection gives it away.
  b.proc->stop(SIGKILL, 10s);
  BOOST_REQUIRE_MESSAGE(all_see({&a, &c}, {{"b", "dead"}, {"a", "alive"}, {"c", "alive"}}, 10s),
                        "a: " << dump(a) << " c: " << dump(c));

  // Back under the same name: a new incarnation, alive again everywhere.
  b.start(node_args("b", seed));
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b, &c}, {{"a", "alive"}, {"b", "alive"}, {"c", "alive"}}, 15s),
                        "a: " << dump(a) << " b: " << dump(b) << " c: " << dump(c));

  // A clean stop says goodbye: left, not dead.
  c.proc->stop(SIGTERM, 10s);
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b}, {{"c", "left"}}, 10s), "a: " << dump(a) << " b: " << dump(b));

  // Operators' metrics agree.
  auto m = lamplight::transport::http_get("127.0.0.1", a.http_port, "/metrics");
  BOOST_TEST(m.body.find("lamplight_cluster_members{state=\"alive\"} 2") != std::string::npos,
             m.body);
  BOOST_TEST(m.body.find("lamplight_cluster_members{state=\"left\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_node_started_before_its_seed_joins_when_the_seed_comes) {
  // The seed's port is chosen first and then left free for a moment: the
  // joining node must keep trying, not give up.
  node_process a(node_args("a", ""));
  auto seed = "127.0.0.1:" + std::to_string(a.cluster_port);
  a.proc->stop(SIGTERM, 10s);
  node_process b(node_args("b", seed));
  BOOST_TEST(members_seen_by(b).size() == 1u);  // alone
  a.start({"--name", "a", "--cluster-port", seed.substr(seed.rfind(':') + 1)});
  BOOST_REQUIRE_MESSAGE(all_see({&a, &b}, {{"a", "alive"}, {"b", "alive"}}, 15s),
                        "a: " << dump(a) << " b: " << dump(b));
}

BOOST_AUTO_TEST_SUITE_END()
