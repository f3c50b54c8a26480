// lamplight-shell against a real lamplight-node, both started here on
// loopback ports the node picks itself.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <regex>

#include "tests/support/node_process.hpp"

using namespace std::chrono_literals;
using lamplight::test::child_process;
using lamplight::test::temp_dir;

namespace {

struct running_node : lamplight::test::node_process {
  std::string shell_endpoint = "127.0.0.1:" + std::to_string(shell_port);

  /// Runs the shell on a script; returns its exit status and output.
  std::pair<int, std::vector<std::string>> shell(const std::string& script_path) {
    child_process sh({LAMPLIGHT_SHELL_BIN, "--node", shell_endpoint, "--script", script_path});
    while (sh.read_line(120s)) {
    }
    auto rc = sh.wait(60s);
    BOOST_REQUIRE(rc.has_value());
    return {*rc, sh.lines()};
  }

  std::string write_script(const std::string& name, const std::string& text) {
    auto p = (dir.path / name).string();
    std::ofstream(p) << text;
    return p;
  }
};

bool printed(const std::vector<std::string>& lines, const std::string& needle) {
  for (auto& l : lines)
    if (l.find(needle) != std::string::npos)
      return true;
  return false;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(shell, running_node)

BOOST_AUTO_TEST_CASE(foundation_demo_passes_and_can_run_twice) {
  auto [rc, out] = shell(LAMPLIGHT_DEMO_SCRIPT);
  BOOST_TEST(rc == 0);
  BOOST_TEST(printed(out, "== all expectations held"));
  BOOST_TEST(printed(out, "ERROR_CLASSROOM_FULL"));
  auto again = shell(LAMPLIGHT_DEMO_SCRIPT);
  BOOST_TEST(again.first == 0);
}

BOOST_AUTO_TEST_CASE(failed_expectation_exits_one) {
  auto script = write_script("fail.lsh", R"(set expect 300ms
bot t demo/fail teacher mode=one_on_one
expect t {"incomingCall":{}}
echo not reached
)");
  auto [rc, out] = shell(script);
  BOOST_TEST(rc == 1);
  BOOST_TEST(printed(out, "FAILED: t did not get"));
  BOOST_TEST(!printed(out, "not reached"));
}

BOOST_AUTO_TEST_CASE(bad_commands_exit_two) {
  auto [rc, out] = shell(write_script("bad.lsh", "teleport everyone\n"));
  BOOST_TEST(rc == 2);
  auto bad_json = shell(write_script("bad2.lsh", "bot t demo/x teacher mode=one_on_one\n"
                                                 "send t {\"raiseHand\": \n"));
  BOOST_TEST(bad_json.first == 2);
}

BOOST_AUTO_TEST_CASE(inspects_state_and_any_message) {
  auto script = write_script("inspect.lsh", R"(bot t acme/inspect teacher mode=small_group
bot s acme/inspect student
send s {"raiseHand":{}}
expect s {"ack":{}}
send s {"whiteboard":{"stroke":{"strokeId":"x","points":[0.1,0.2]}}}
expect s {"ack":{}}
status
list acme
snapshot acme/inspect
)");
  auto [rc, out] = shell(script);
  BOOST_TEST(rc == 0);
  BOOST_TEST(printed(out, "acme/inspect"));
  BOOST_TEST(printed(out, R"("handQueue":["s"])"));
  BOOST_TEST(printed(out, "1 classrooms"));
}

BOOST_AUTO_TEST_SUITE_END()
