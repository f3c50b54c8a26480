// lamplight-bench: one binary, one subcommand per scenario.
#include <cstdio>
#include <cstring>
#include <string>

#include <boost/program_options.hpp>

#include "bench/options.hpp"
#include "bench/lamps/lamps.hpp"
#include "bench/media/fanout.hpp"
#include "bench/signaling/signaling.hpp"

namespace po = boost::program_options;

namespace {

int fanout(int argc, char** argv) {
  int subscribers = 200, packets = 3000, rate = 500;
  std::size_t size = 1100;
  po::options_description opts("lamplight-bench fanout [options]");
  opts.add_options()("help,h", "help")(
    "subscribers", po::value(&subscribers)->default_value(subscribers), "subscriber legs")(
    "packets", po::value(&packets)->default_value(packets), "packets the publisher sends")(
    "rate", po::value(&rate)->default_value(rate), "publisher packets per second")(
    "size", po::value(&size)->default_value(size), "RTP packet size in bytes");
  po::variables_map vm;
  if (!lamplight::bench::parse_options(opts, argc, argv, vm))
    return 2;
  if (vm.count("help") || subscribers < 1 || packets < 1 || rate < 1 || size < 32
      || size > 1400) {
    std::printf("one publisher fanned out to many subscribers through one media worker\n"
                "(--subscribers >= 1, --packets >= 1, --rate >= 1, --size 32..1400)\n");
    return vm.count("help") ? 0 : 2;
  }
  return lamplight::bench::run_fanout(subscribers, packets, rate, size);
}

} // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "signaling")
    return lamplight::bench::run_signaling(argc - 1, argv + 1);
  if (cmd == "fanout")
    return fanout(argc - 1, argv + 1);
  if (cmd == "lamps")
    return lamplight::bench::run_lamps(argc - 1, argv + 1);
  std::fprintf(stderr,
               "usage: lamplight-bench <scenario> [options]  (--help after a scenario)\n"
               "  signaling   joins, hands and calls through gateway sessions, in process\n"
               "  fanout      1 publisher -> N subscribers through one media worker (ICE, DTLS, "
               "SRTP on loopback)\n"
               "  lamps       hundreds of simulated lamps in a scenario against a node (see "
               "lamps --help)\n");
  return cmd.empty() || cmd == "--help" || cmd == "-h" ? 0 : 2;
}
