#include "bench/lamps/scenario.hpp"

namespace lamplight::bench {

namespace sig = signal::v1;

namespace {

constexpr auto mic = sig::TRACK_SOURCE_MICROPHONE;
constexpr auto face = sig::TRACK_SOURCE_FACE_CAMERA;

lamp_plan teacher(const std::string& room, const std::string& id, const std::string& mode) {
  lamp_plan p;
  p.classroom = room;
  p.identity = id;
  p.teacher = true;
  p.mode = mode;
  p.publish = {mic, face};
  return p;
}

lamp_plan student(const std::string& room, const std::string& id) {
  lamp_plan p;
  p.classroom = room;
  p.identity = id;
  return p;
}

} // namespace

const char* scenario_help() {
  return "  one-on-one   N teacher+student pairs, each publishing camera+mic, watching the other\n"
         "  group        N groups of 1 teacher + 6 students; the teacher watches all six\n"
         "  class        one class of N: teacher video+audio to all, students audio; hands\n"
         "               raised and accepted, calls placed during the class\n"
         "  study-room   N lamps all publishing video, each watching a grid of 6\n"
         "  join-storm   N lamps joining a class within one second\n"
         "  churn        a class of N whose students leave and rejoin during the run\n";
}

scenario make_scenario(const std::string& name, int n) {
  scenario s;
  s.name = name;
  if (name == "one-on-one") {
    for (int i = 0; i < n; ++i) {
      auto room = "pair-" + std::to_string(i);
      auto t = teacher(room, "t" + std::to_string(i), "one_on_one");
      auto st = student(room, "s" + std::to_string(i));
      st.publish = {mic, face};
      t.watch = {{st.identity, face}, {st.identity, mic}};
      st.watch = {{t.identity, face}, {t.identity, mic}};
      s.lamps.push_back(t);
      s.lamps.push_back(st);
    }
  } else if (name == "group") {
    for (int g = 0; g < n; ++g) {
      auto room = "group-" + std::to_string(g);
      auto t = teacher(room, "t" + std::to_string(g), "small_group");
      std::vector<lamp_plan> kids;
      for (int k = 0; k < 6; ++k) {
        auto st = student(room, "g" + std::to_string(g) + "s" + std::to_string(k));
        st.publish = {mic, face};
        st.watch = {{t.identity, face}, {t.identity, mic}};
        t.watch.push_back({st.identity, face});
        kids.push_back(st);
      }
      s.lamps.push_back(t);
      s.lamps.insert(s.lamps.end(), kids.begin(), kids.end());
    }
  } else if (name == "class" || name == "join-storm" || name == "churn") {
    auto t = teacher("class", "teacher", "large_class");
    s.lamps.push_back(t);
    for (int i = 1; i < n; ++i) {
      auto st = student("class", "s" + std::to_string(i));
      st.publish = {mic};
      st.watch = {{t.identity, face}, {t.identity, mic}};
      st.raises_hand = name == "class" && i % 20 == 1;  // 10 hands in a class of 200
      st.gets_called = name == "class" && (i == 2 || i == 3 || i == 4);
      s.lamps.push_back(st);
    }
    s.storm = name == "join-storm";
    s.churn = name == "churn";
  } else if (name == "study-room") {
    // A monitor opens the room and watches nobody; everyone else is a
    // student with a grid of the next six.
    auto t = teacher("study", "monitor", "large_class");
    t.publish = {};
    s.lamps.push_back(t);
    for (int i = 1; i < n; ++i) {
      auto st = student("study", "s" + std::to_string(i));
      st.publish = {face};
      for (int k = 1; k <= 6 && k < n - 1; ++k)
        st.watch.push_back({"s" + std::to_string((i - 1 + k) % (n - 1) + 1), face});
      s.lamps.push_back(st);
    }
  } else {
    s.name.clear();
  }
  return s;
}

} // namespace lamplight::bench
