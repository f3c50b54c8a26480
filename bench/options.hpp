#pragma once

#include <cstdio>

#include <boost/program_options.hpp>

namespace lamplight::bench {

/// Parses a scenario's flags into `vm`; false (the error printed) if they
/// do not parse.
inline bool parse_options(const boost::program_options::options_description& opts, int argc,
                          char** argv, boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return false;
  }
}

} // namespace lamplight::bench
