#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lamplight/signal/v1/stream.pb.h"

namespace lamplight::bench {

/// One simulated lamp of a scenario: where it joins, what it publishes,
/// whose tracks it watches.
struct lamp_plan {
  std::string classroom;
  std::string identity;
  bool teacher = false;
  std::string mode;  // for a teacher: the classroom it opens
  std::vector<signal::v1::TrackSource> publish;
  std::vector<std::pair<std::string, signal::v1::TrackSource>> watch;  // (owner, source)
  /// Scripted moments in the class scenario.
  bool raises_hand = false;
  bool gets_called = false;
};

struct scenario {
  std::string name;
  std::vector<lamp_plan> lamps;  // teachers first in each classroom
  bool storm = false;            // everyone joins at once instead of staggered
  bool churn = false;            // students leave and rejoin during the run
};

/// The scenarios of the load bench; `n` is lamps (class, study-room,
/// join-storm, churn), pairs (one-on-one) or groups (group). Empty name if
/// unknown.
scenario make_scenario(const std::string& name, int n);
const char* scenario_help();

} // namespace lamplight::bench
