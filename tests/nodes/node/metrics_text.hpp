#pragma once

// A strict reader of the Prometheus text exposition format 0.0.4, for the
// tests: it checks what a scraper relies on (every sample line is
// `name{labels} value`, every family has # HELP and # TYPE before its
// samples, families are not split, no series twice, counters end in
// _total) and keeps the samples by series ("name{label=\"v\"}").

#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace lamplight::test {

struct metrics_text {
  std::map<std::string, std::string> types;  // family -> counter | gauge | ...
  std::map<std::string, std::string> help;
  std::map<std::string, double> samples;     // series -> value
  std::vector<std::string> errors;           // empty: the text is well formed

  bool has(const std::string& series) const { return samples.count(series) != 0; }
  /// The series' value; -1 when absent, which no counter or gauge here is.
  double value(const std::string& series) const {
    auto i = samples.find(series);
    return i == samples.end() ? -1 : i->second;
  }
  std::string error_text() const {
    std::string out;
    for (auto& e : errors)
      out += e + "\n";
    return out;
  }
};

inline metrics_text parse_metrics(const std::string& body) {
  metrics_text out;
  auto fail = [&](const std::string& line, const std::string& why) {
    out.errors.push_back(why + ": '" + line + "'");
  };
  if (!body.empty() && body.back() != '\n')
    out.errors.push_back("the text does not end with a line feed");
  static const std::regex help_re(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex type_re(
    R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample_re(
    R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")"
    R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? )"
    R"(([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf))");
  std::set<std::string> finished;  // families whose samples are behind us
  std::string current;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.empty()) {
      fail(line, "empty line");
    } else if (std::regex_match(line, m, help_re)) {
      if (out.help.count(m[1]))
        fail(line, "second HELP");
      out.help[m[1]] = m[2];
    } else if (std::regex_match(line, m, type_re)) {
      if (out.types.count(m[1]))
        fail(line, "second TYPE");
      if (m[2] == "counter" && !std::regex_search(m[1].str(), std::regex("_total$")))
        fail(line, "a counter's name ends in _total");
      out.types[m[1]] = m[2];
    } else if (line[0] == '#') {
      fail(line, "a comment that is neither HELP nor TYPE");
    } else if (std::regex_match(line, m, sample_re)) {
      auto name = m[1].str();
      if (!out.help.count(name) || !out.types.count(name))
        fail(line, "sample without HELP and TYPE before it");
      if (name != current) {
        if (finished.count(name))
          fail(line, "family split in two");
        if (!current.empty())
          finished.insert(current);
        current = name;
      }
      auto series = name + m[2].str();
      if (out.samples.count(series))
        fail(line, "series twice");
      out.samples[series] = std::strtod(m[3].str().c_str(), nullptr);
    } else {
      fail(line, "not name{labels} value");
    }
  }
  for (auto& [name, type] : out.types)
    if (!out.help.count(name))
      out.errors.push_back("TYPE without HELP: " + name);
  return out;
}

} // namespace lamplight::test
