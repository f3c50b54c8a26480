#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

#include "nodes/node/config.hpp"
#include "tests/support/temp_dir.hpp"

using lamplight::node::load_config;
using lamplight::test::temp_dir;

namespace {

struct fake_env {
  std::map<std::string, std::string> vars;
  const char* operator()(const char* name) const {
    auto i = vars.find(name);
    return i == vars.end() ? nullptr : i->second.c_str();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(node_config)

BOOST_AUTO_TEST_CASE(defaults_are_an_all_in_one_node_on_loopback) {
  auto r = load_config({}, fake_env{});
  BOOST_REQUIRE(bool(r));
  BOOST_TEST(r->config.bind == "127.0.0.1");
  BOOST_TEST(r->config.port == 7443);
  BOOST_TEST(r->config.shell_port == 4243);
  BOOST_TEST(r->config.data_dir == "lamplight-data");
  BOOST_TEST(r->config.token_secret_file == "lamplight-data/token.secret");
  BOOST_TEST(r->config.dev_tokens_enabled());
  BOOST_TEST(!r->config.dev_tokens_for_any_tenant());  // the demo tenant's only
  BOOST_TEST(r->config.ring_timeout.count() == 30000);
}

BOOST_AUTO_TEST_CASE(flags_beat_environment_beat_file) {
  temp_dir dir;
  auto file = (dir.path / "node.ini").string();
  std::ofstream(file) << "# a comment\nport = 9001\nshell-port = 9002\nname = from-file\n"
                         "ring-timeout = 5s\nbind = 0.0.0.0\n";
  fake_env env;
  env.vars["LAMPLIGHT_SHELL_PORT"] = "9102";
  env.vars["LAMPLIGHT_NAME"] = "from-env";
  env.vars["LAMPLIGHT_CONFIG"] = file;
  auto r = load_config({"--name", "from-flag"}, env);
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_TEST(r->config.name == "from-flag");  // flag > env > file
  BOOST_TEST(r->config.shell_port == 9102);   // env > file
  BOOST_TEST(r->config.port == 9001);         // file > default
  BOOST_TEST(r->config.ring_timeout.count() == 5000);
  BOOST_TEST(!r->config.dev_tokens_enabled());  // not loopback: off unless asked
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_with_a_message) {
  for (auto args : std::vector<std::vector<std::string>>{
         {"--no-such-option"}, {"--port", "seventy"}, {"--ring-timeout", "soon"},
         {"--dev-tokens", "maybe"}, {"--config", "/nonexistent/file.ini"}, {"--io-threads", "0"}}) {
    auto r = load_config(args, fake_env{});
    BOOST_TEST(!bool(r), args[0]);
    if (!r)
      BOOST_TEST(!r.err().message.empty());
  }
  fake_env env;
  env.vars["LAMPLIGHT_PORT"] = "not-a-port";
  BOOST_TEST(!bool(load_config({}, env)));
}

BOOST_AUTO_TEST_CASE(cluster_and_provider_options_are_parsed_once_and_checked) {
  auto r = load_config({"--roles", "room,,gateway", "--seeds", "10.0.0.1:4250,host-b:4251",
                        "--janus", "127.0.0.1:8188"},
                       fake_env{});
  BOOST_REQUIRE(bool(r));
  BOOST_TEST(r->config.role_list == (std::vector<std::string>{"room", "gateway"}),
             boost::test_tools::per_element());
  BOOST_TEST(r->config.seed_list == (std::vector<std::string>{"10.0.0.1:4250", "host-b:4251"}),
             boost::test_tools::per_element());
  BOOST_TEST(r->config.janus_host == "127.0.0.1");
  BOOST_TEST(r->config.janus_port == 8188);
  BOOST_TEST(load_config({}, fake_env{})->config.role_list
               == (std::vector<std::string>{"gateway", "room", "media"}),
             boost::test_tools::per_element());
  for (auto args : std::vector<std::vector<std::string>>{
         {"--roles", "mixer"}, {"--roles", ","}, {"--seeds", "nohost"}, {"--seeds", "a:70000"},
         {"--janus", ":8188"}, {"--janus", "host:"}, {"--janus", "host:8x"},
         {"--provider", "janus"}, {"--provider", "mediasoup"}})
    BOOST_TEST(!bool(load_config(args, fake_env{})), args[0] << " " << args[1]);
}

BOOST_AUTO_TEST_CASE(help_lists_every_option) {
  auto r = load_config({"--help"}, fake_env{});
  BOOST_REQUIRE(bool(r));
  BOOST_TEST(r->help);
  BOOST_TEST(r->help_text.find("--shell-port") != std::string::npos);
  BOOST_TEST(r->help_text.find("--admin-bind-any") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(admin_status_is_loopback_only_unless_a_flag_says_so) {
  BOOST_TEST(!load_config({}, fake_env{})->config.admin_bind_any);
  BOOST_TEST(load_config({"--admin-bind-any"}, fake_env{})->config.admin_bind_any);
  BOOST_TEST(!load_config({"--admin-bind-any=false"}, fake_env{})->config.admin_bind_any);
  fake_env env;
  env.vars["LAMPLIGHT_ADMIN_BIND_ANY"] = "true";
  BOOST_TEST(load_config({}, env)->config.admin_bind_any);
  temp_dir dir;
  auto file = (dir.path / "node.ini").string();
  std::ofstream(file) << "admin-bind-any = 1\n";
  auto r = load_config({"--config", file}, fake_env{});
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_TEST(r->config.admin_bind_any);
  // A flag right after it is not taken as its value.
  auto next = load_config({"--admin-bind-any", "--port", "9"}, fake_env{});
  BOOST_REQUIRE(bool(next));
  BOOST_TEST(next->config.admin_bind_any);
  BOOST_TEST(next->config.port == 9);
}

BOOST_AUTO_TEST_SUITE_END()
