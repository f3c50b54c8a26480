// lamplight-shell: the actor shell. Connects to a node through CAF's
// middleman and runs commands interactively (line editing and history by
// libedit) or from a script file; a failed `expect` makes a script exit 1.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include <boost/program_options.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <editline/readline.h>

#include "actors/system_setup.hpp"
#include "nodes/shell/shell.hpp"

namespace po = boost::program_options;
using namespace lamplight;

namespace {

int run_lines(shell::shell& sh, std::istream& in, const std::string& source) {
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    auto r = sh.run(line);
    if (r == shell::outcome::quit)
      return 0;
    if (r == shell::outcome::failed || r == shell::outcome::error) {
      std::cerr << source << ":" << line_no << ": " << shell::to_string(r) << ": " << line
                << std::endl;
      return r == shell::outcome::failed ? 1 : 2;
    }
  }
  return 0;
}

int run_interactive(shell::shell& sh) {
  std::string history;
  if (const char* home = std::getenv("HOME"))
    history = std::string(home) + "/.lamplight_shell_history";
  using_history();
  if (!history.empty())
    read_history(history.c_str());
  std::cout << "lamplight shell; 'help' lists commands" << std::endl;
  while (char* raw = readline("lamplight> ")) {
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue;
    add_history(line.c_str());
    if (sh.run(line) == shell::outcome::quit)
      break;
  }
  if (!history.empty())
    write_history(history.c_str());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string node = "127.0.0.1:4243";
  std::string script;
  bool quiet = false;
  po::options_description opts("lamplight-shell options");
  opts.add_options()("help,h", "show this help")(
    "node,n", po::value(&node)->default_value(node),
    "the node's shell endpoint (host:port); also LAMPLIGHT_SHELL_NODE")(
    "script,s", po::value(&script), "run commands from this file ('-' for stdin), then exit")(
    "quiet,q", po::bool_switch(&quiet), "print only failures");
  po::positional_options_description pos;
  pos.add("script", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "lamplight-shell: " << e.what() << "\n" << opts << std::endl;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << std::endl;
    return 0;
  }
  if (!vm["node"].defaulted()) {
    // the flag wins
  } else if (const char* env = std::getenv("LAMPLIGHT_SHELL_NODE")) {
    node = env;
  }
  caf::actor_system_config cfg;
  actors::add_lamplight_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(5)});
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto out = std::make_shared<shell::printer>(quiet);
  int rc = 0;
  {
    shell::shell sh(sys, out);
    if (sh.connect(node) != shell::outcome::ok) {
      rc = 3;
    } else if (!script.empty()) {
      if (script == "-") {
        rc = run_lines(sh, std::cin, "<stdin>");
      } else {
        std::ifstream in(script);
        if (!in) {
          std::cerr << "lamplight-shell: cannot read " << script << std::endl;
          rc = 2;
        } else {
          rc = run_lines(sh, in, script);
        }
      }
    } else if (!isatty(STDIN_FILENO)) {
      rc = run_lines(sh, std::cin, "<stdin>");
    } else {
      rc = run_interactive(sh);
    }
  }
  return rc;
}
