#include <boost/test/unit_test.hpp>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/message_differencer.h>

#include <random>

#include "protocol/classroom_model.hpp"

using namespace lamplight::protocol;
namespace v1 = lamplight::signal::v1;

namespace {

// Builds events with consecutive seqs.
struct events {
  uint64_t seq = 0;
  std::vector<v1::ClassroomEvent> log;

  v1::ClassroomEvent next() {
    v1::ClassroomEvent ev;
    ev.set_seq(++seq);
    ev.set_at_ms(1000 + static_cast<int64_t>(seq));
    return ev;
  }
  v1::ClassroomEvent created(v1::ClassroomMode mode = v1::MODE_SMALL_GROUP, uint32_t cap = 0) {
    auto ev = next();
    ev.mutable_created()->set_tenant("t1");
    ev.mutable_created()->set_classroom_id("room");
    ev.mutable_created()->set_mode(mode);
    ev.mutable_created()->set_capacity(cap);
    return ev;
  }
  v1::ClassroomEvent joined(const std::string& id, v1::Role role, const std::string& child = "") {
    auto ev = next();
    auto* m = ev.mutable_member_joined()->mutable_member();
    m->set_identity(id);
    m->set_role(role);
    m->set_child(child);
    m->set_presence(v1::PRESENCE_ONLINE);
    return ev;
  }
  v1::ClassroomEvent photo(const std::string& id, const std::string& owner) {
    auto ev = next();
    ev.mutable_photo_taken()->set_photo_id(id);
    ev.mutable_photo_taken()->set_owner(owner);
    ev.mutable_photo_taken()->set_taken_by("t");
    return ev;
  }
  v1::ClassroomEvent left(const std::string& id) {
    auto ev = next();
    ev.mutable_member_left()->set_identity(id);
    return ev;
  }
  v1::ClassroomEvent presence(const std::string& id, v1::Presence p) {
    auto ev = next();
    ev.mutable_presence()->set_identity(id);
    ev.mutable_presence()->set_presence(p);
    return ev;
  }
  v1::ClassroomEvent raised(const std::string& id) {
    auto ev = next();
    ev.mutable_hand_raised()->set_identity(id);
    return ev;
  }
  v1::ClassroomEvent lowered(const std::string& id) {
    auto ev = next();
    ev.mutable_hand_lowered()->set_identity(id);
    ev.mutable_hand_lowered()->set_outcome(v1::HAND_OUTCOME_LOWERED);
    return ev;
  }
  v1::ClassroomEvent call(const std::string& id, const std::string& a, const std::string& b,
                          int phase) {
    auto ev = next();
    auto* c = ev.mutable_call()->mutable_call();
    c->set_call_id(id);
    c->set_caller(a);
    c->set_callee(b);
    c->set_phase(phase);
    return ev;
  }
  v1::ClassroomEvent device(const std::string& id, v1::Camera cam, v1::ScreenMode scr) {
    auto ev = next();
    ev.mutable_device()->set_identity(id);
    ev.mutable_device()->set_camera(cam);
    ev.mutable_device()->set_screen(scr);
    return ev;
  }
  v1::ClassroomEvent stroke(const std::string& id, uint32_t page) {
    auto ev = next();
    ev.mutable_whiteboard()->set_author("t");
    auto* s = ev.mutable_whiteboard()->mutable_stroke();
    s->set_stroke_id(id);
    s->set_page(page);
    s->add_points(0.5f);
    s->add_points(0.25f);
    return ev;
  }
  v1::ClassroomEvent erase(const std::string& id) {
    auto ev = next();
    ev.mutable_whiteboard()->mutable_erase()->set_stroke_id(id);
    return ev;
  }
  v1::ClassroomEvent clear(uint32_t page) {
    auto ev = next();
    ev.mutable_whiteboard()->mutable_clear()->set_page(page);
    return ev;
  }
  v1::ClassroomEvent page(uint32_t page) {
    auto ev = next();
    ev.mutable_whiteboard()->mutable_page()->set_page(page);
    return ev;
  }
  v1::ClassroomEvent published(const std::string& id, const std::string& owner) {
    auto ev = next();
    ev.mutable_track_published()->mutable_track()->set_track_id(id);
    ev.mutable_track_published()->mutable_track()->set_owner(owner);
    return ev;
  }
  v1::ClassroomEvent unpublished(const std::string& id) {
    auto ev = next();
    ev.mutable_track_unpublished()->set_track_id(id);
    return ev;
  }
  v1::ClassroomEvent muted(const std::string& id, bool m) {
    auto ev = next();
    ev.mutable_track_muted()->set_track_id(id);
    ev.mutable_track_muted()->set_muted(m);
    return ev;
  }
  v1::ClassroomEvent closed() {
    auto ev = next();
    ev.mutable_closed()->set_reason("done");
    return ev;
  }
};

std::string bytes(const v1::ClassroomSnapshot& s) {
  std::string out;
  google::protobuf::io::StringOutputStream os{&out};
  google::protobuf::io::CodedOutputStream cos{&os};
  cos.SetSerializationDeterministic(true);
  s.SerializeToCodedStream(&cos);
  cos.Trim();
  return out;
}

// Applies an event that must succeed.
struct fixture {
  classroom_model m;
  events e;

  void ok(const v1::ClassroomEvent& ev) {
    auto r = m.apply(ev);
    BOOST_REQUIRE_MESSAGE(r == errc::none, "event " << ev.ShortDebugString() << ": "
                                                      << to_string(r));
    e.log.push_back(ev);
  }
  // An event that must fail with `code` and change nothing; its seq is given back.
  void bad(const v1::ClassroomEvent& ev, errc code) {
    auto before = bytes(m.snapshot());
    auto hands = m.hands().order();
    auto r = m.apply(ev);
    BOOST_TEST(to_string(r) == to_string(code), ev.ShortDebugString());
    BOOST_TEST(bytes(m.snapshot()) == before);
    BOOST_TEST((m.hands().order() == hands));
    if (ev.seq() == e.seq)
      --e.seq;
  }
  void basic() {
    ok(e.created());
    ok(e.joined("t", v1::ROLE_TEACHER));
    ok(e.joined("a", v1::ROLE_ASSISTANT));
    ok(e.joined("s1", v1::ROLE_STUDENT));
    ok(e.joined("s2", v1::ROLE_STUDENT));
    ok(e.joined("p1", v1::ROLE_PARENT, "s1"));
  }
};

std::vector<std::string> identities(const v1::ClassroomSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& m : s.members())
    out.push_back(m.identity());
  return out;
}

using strs = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(classroom_model_suite)

BOOST_FIXTURE_TEST_CASE(created_first_and_only_once, fixture) {
  bad(e.joined("t", v1::ROLE_TEACHER), errc::bad_request);
  auto gap = e.created();
  gap.set_seq(2);
  bad(gap, errc::wrong_state);
  --e.seq; // the probe's own seq was never used
  ok(e.created(v1::MODE_ONE_ON_ONE));
  BOOST_TEST(m.created());
  BOOST_TEST(m.snapshot().tenant() == "t1");
  BOOST_TEST(m.snapshot().classroom_id() == "room");
  BOOST_TEST(m.snapshot().capacity() == 4u);
  BOOST_TEST(m.seq() == 1u);
  bad(e.created(), errc::bad_request);
}

BOOST_FIXTURE_TEST_CASE(explicit_capacity_kept, fixture) {
  ok(e.created(v1::MODE_LARGE_CLASS, 50));
  BOOST_TEST(m.snapshot().capacity() == 50u);
}

BOOST_FIXTURE_TEST_CASE(seq_gaps_and_repeats_rejected, fixture) {
  basic();
  auto ev = e.presence("t", v1::PRESENCE_OFFLINE);
  auto skip = ev;
  skip.set_seq(ev.seq() + 1);
  bad(skip, errc::wrong_state);
  auto repeat = ev;
  repeat.set_seq(ev.seq() - 1);
  bad(repeat, errc::wrong_state);
  ok(ev);
  BOOST_TEST(m.seq() == ev.seq());
}

BOOST_FIXTURE_TEST_CASE(members_join_and_leave, fixture) {
  basic();
  BOOST_TEST((identities(m.snapshot()) == strs{"t", "a", "s1", "s2", "p1"}));
  bad(e.joined("s1", v1::ROLE_STUDENT), errc::bad_request);
  bad(e.joined("", v1::ROLE_STUDENT), errc::bad_request);
  BOOST_TEST(m.count(v1::ROLE_STUDENT) == 2u);
  ok(e.left("s1"));
  BOOST_TEST((identities(m.snapshot()) == strs{"t", "a", "s2", "p1"}));
  BOOST_TEST(m.member("s1") == nullptr);
  BOOST_TEST(m.member("s2")->identity() == "s2");
  bad(e.left("s1"), errc::bad_request);
  ok(e.joined("s1", v1::ROLE_STUDENT));
  BOOST_TEST((identities(m.snapshot()) == strs{"t", "a", "s2", "p1", "s1"}));
}

BOOST_FIXTURE_TEST_CASE(leaving_removes_hand_calls_tracks, fixture) {
  basic();
  ok(e.raised("s1"));
  ok(e.raised("s2"));
  ok(e.call("c1", "t", "s1", 2));
  ok(e.published("tr1", "s1"));
  ok(e.published("tr2", "t"));
  ok(e.left("s1"));
  BOOST_TEST((strs(m.snapshot().hand_queue().begin(), m.snapshot().hand_queue().end())
              == strs{"s2"}));
  BOOST_TEST((m.hands().order() == std::deque<std::string>{"s2"}));
  BOOST_TEST(m.snapshot().calls_size() == 0);
  BOOST_TEST(m.member("t")->call_id().empty());
  BOOST_TEST(m.snapshot().tracks_size() == 1);
  BOOST_TEST(m.track("tr2") != nullptr);
  BOOST_TEST(m.track("tr1") == nullptr);
}

BOOST_FIXTURE_TEST_CASE(presence_and_device, fixture) {
  basic();
  ok(e.presence("s1", v1::PRESENCE_OFFLINE));
  BOOST_TEST(m.member("s1")->presence() == v1::PRESENCE_OFFLINE);
  bad(e.presence("zz", v1::PRESENCE_ONLINE), errc::bad_request);
  ok(e.device("s1", v1::CAMERA_DESK, v1::SCREEN_UNSPECIFIED));
  BOOST_TEST(m.member("s1")->camera() == v1::CAMERA_DESK);
  BOOST_TEST(m.member("s1")->screen() == v1::SCREEN_UNSPECIFIED);
  ok(e.device("s1", v1::CAMERA_UNSPECIFIED, v1::SCREEN_VIDEO));
  BOOST_TEST(m.member("s1")->camera() == v1::CAMERA_DESK); // unchanged
  BOOST_TEST(m.member("s1")->screen() == v1::SCREEN_VIDEO);
  bad(e.device("zz", v1::CAMERA_FACE, v1::SCREEN_VIDEO), errc::bad_request);
}

BOOST_FIXTURE_TEST_CASE(hands_raise_and_lower, fixture) {
  basic();
  ok(e.raised("s2"));
  ok(e.raised("s1"));
  bad(e.raised("s1"), errc::bad_request);
  bad(e.raised("zz"), errc::bad_request);
  BOOST_TEST(m.member("s1")->hand_raised());
  BOOST_TEST((strs(m.snapshot().hand_queue().begin(), m.snapshot().hand_queue().end())
              == strs{"s2", "s1"}));
  ok(e.lowered("s2"));
  BOOST_TEST(!m.member("s2")->hand_raised());
  bad(e.lowered("s2"), errc::bad_request);
  BOOST_TEST(m.hands().position("s1") == 1u);
  BOOST_TEST(m.snapshot().hand_queue_size() == 1);
}

BOOST_FIXTURE_TEST_CASE(calls_upsert_and_end, fixture) {
  basic();
  ok(e.call("c1", "t", "s1", 1));
  BOOST_TEST(m.call("c1")->phase() == 1);
  BOOST_TEST(m.member("t")->call_id() == "c1");
  BOOST_TEST(m.member("s1")->call_id() == "c1");
  ok(e.call("c1", "t", "s1", 4));
  BOOST_TEST(m.snapshot().calls_size() == 1);
  BOOST_TEST(m.call("c1")->phase() == 4);
  bad(e.call("c2", "t", "zz", 1), errc::bad_request);
  bad(e.call("c3", "t", "s2", 5), errc::bad_request); // ending an unknown call
  bad(e.call("", "t", "s2", 1), errc::bad_request);
  ok(e.call("c1", "t", "s1", 5));
  BOOST_TEST(m.call("c1") == nullptr);
  BOOST_TEST(m.member("t")->call_id().empty());
  BOOST_TEST(m.member("s1")->call_id().empty());
}

BOOST_FIXTURE_TEST_CASE(whiteboard_is_the_current_board, fixture) {
  basic();
  ok(e.stroke("k1", 0));
  ok(e.stroke("k2", 1));
  ok(e.stroke("k3", 0));
  bad(e.stroke("k1", 0), errc::bad_request);
  ok(e.erase("k1"));
  bad(e.erase("k1"), errc::bad_request);
  BOOST_TEST(m.snapshot().whiteboard_size() == 2);
  BOOST_TEST(m.snapshot().whiteboard(0).stroke().stroke_id() == "k2");
  ok(e.clear(1));
  BOOST_TEST(m.snapshot().whiteboard_size() == 1);
  BOOST_TEST(m.snapshot().whiteboard(0).stroke().stroke_id() == "k3");
  ok(e.page(3));
  BOOST_TEST(m.snapshot().whiteboard_page() == 3u);
  BOOST_TEST(m.snapshot().whiteboard_size() == 1);
  ok(e.stroke("k1", 3)); // an erased id may be reused
  auto empty = e.next();
  empty.mutable_whiteboard();
  bad(empty, errc::bad_request);
}

BOOST_FIXTURE_TEST_CASE(tracks_publish_mute_unpublish, fixture) {
  basic();
  ok(e.published("tr1", "s1"));
  bad(e.published("tr1", "s2"), errc::bad_request);
  bad(e.published("tr9", "zz"), errc::bad_request);
  ok(e.muted("tr1", true));
  BOOST_TEST(m.track("tr1")->muted());
  bad(e.muted("zz", true), errc::bad_request);
  ok(e.unpublished("tr1"));
  BOOST_TEST(m.track("tr1") == nullptr);
  bad(e.unpublished("tr1"), errc::bad_request);
}

BOOST_FIXTURE_TEST_CASE(closed_is_final, fixture) {
  basic();
  ok(e.closed());
  BOOST_TEST(m.closed());
  bad(e.presence("t", v1::PRESENCE_OFFLINE), errc::wrong_state);
  bad(e.joined("x", v1::ROLE_STUDENT), errc::wrong_state);
}

BOOST_FIXTURE_TEST_CASE(photos_are_kept_and_parents_see_their_childs_only, fixture) {
  basic();
  ok(e.photo("ph1", "s1"));
  ok(e.photo("ph2", "s2"));
  bad(e.photo("ph3", "nobody"), errc::bad_request);
  bad(e.photo("", "s1"), errc::bad_request);
  BOOST_TEST(m.snapshot().photos_size() == 2);
  auto p = m.snapshot_for("p1");
  BOOST_REQUIRE(p.photos_size() == 1);
  BOOST_TEST(p.photos(0).photo_id() == "ph1");
  BOOST_TEST(m.visible_to(e.photo("ph4", "s1"), "p1"));
  BOOST_TEST(!m.visible_to(e.photo("ph5", "s2"), "p1"));
}

BOOST_FIXTURE_TEST_CASE(empty_event_rejected, fixture) {
  basic();
  bad(e.next(), errc::bad_request);
}

BOOST_FIXTURE_TEST_CASE(parent_sees_staff_itself_and_child, fixture) {
  basic();
  ok(e.raised("s1"));
  ok(e.raised("s2"));
  ok(e.call("c1", "t", "s1", 4));
  ok(e.call("c2", "a", "s2", 2));
  ok(e.published("tr1", "s1"));
  ok(e.published("tr2", "s2"));
  ok(e.published("tr3", "t"));
  ok(e.stroke("k1", 0));
  auto p = m.snapshot_for("p1");
  BOOST_TEST((identities(p) == strs{"t", "a", "s1", "p1"}));
  BOOST_TEST((strs(p.hand_queue().begin(), p.hand_queue().end()) == strs{"s1"}));
  BOOST_TEST(p.calls_size() == 1);
  BOOST_TEST(p.calls(0).call_id() == "c1");
  BOOST_TEST(p.tracks_size() == 2);
  BOOST_TEST(p.tracks(0).track_id() == "tr1");
  BOOST_TEST(p.tracks(1).track_id() == "tr3");
  BOOST_TEST(p.whiteboard_size() == 1);
  // Students and staff see everything.
  BOOST_TEST(bytes(m.snapshot_for("s2")) == bytes(m.snapshot()));
  BOOST_TEST(bytes(m.snapshot_for("t")) == bytes(m.snapshot()));
  // Unknown viewers see staff only.
  auto u = m.snapshot_for("stranger");
  BOOST_TEST((identities(u) == strs{"t", "a"}));
  BOOST_TEST(u.hand_queue_size() == 0);
  BOOST_TEST(u.calls_size() == 0);
  BOOST_TEST(u.tracks_size() == 1);
  BOOST_TEST(u.whiteboard_size() == 1);
  // The same rules, member by member.
  BOOST_TEST(m.member_visible_to("s1", "p1"));
  BOOST_TEST(!m.member_visible_to("s2", "p1"));
  BOOST_TEST(m.member_visible_to("a", "p1"));
  BOOST_TEST(m.member_visible_to("s2", "s1"));
  BOOST_TEST(!m.member_visible_to("s1", "stranger"));
  BOOST_TEST(m.member_visible_to("t", "stranger"));
}

BOOST_FIXTURE_TEST_CASE(visible_to_follows_the_same_rules, fixture) {
  basic();
  ok(e.published("tr1", "s1"));
  ok(e.published("tr2", "s2"));
  auto vis = [&](const v1::ClassroomEvent& ev) {
    --e.seq; // probes only, never applied
    return m.visible_to(ev, "p1");
  };
  BOOST_TEST(vis(e.presence("s1", v1::PRESENCE_OFFLINE)));
  BOOST_TEST(!vis(e.presence("s2", v1::PRESENCE_OFFLINE)));
  BOOST_TEST(vis(e.presence("t", v1::PRESENCE_OFFLINE)));
  BOOST_TEST(vis(e.raised("s1")));
  BOOST_TEST(!vis(e.raised("s2")));
  BOOST_TEST(!vis(e.lowered("s2")));
  BOOST_TEST(!vis(e.device("s2", v1::CAMERA_DESK, v1::SCREEN_VIDEO)));
  BOOST_TEST(vis(e.device("s1", v1::CAMERA_DESK, v1::SCREEN_VIDEO)));
  BOOST_TEST(vis(e.call("c", "t", "s1", 1)));
  BOOST_TEST(!vis(e.call("c", "t", "s2", 1)));
  BOOST_TEST(vis(e.unpublished("tr1")));
  BOOST_TEST(!vis(e.unpublished("tr2")));
  BOOST_TEST(!vis(e.muted("tr2", true)));
  BOOST_TEST(vis(e.muted("tr1", true)));
  BOOST_TEST(!vis(e.published("tr3", "s2")));
  BOOST_TEST(vis(e.published("tr3", "a")));
  BOOST_TEST(vis(e.stroke("k", 0)));
  BOOST_TEST(vis(e.closed()));
  BOOST_TEST(!vis(e.joined("s3", v1::ROLE_STUDENT)));
  BOOST_TEST(vis(e.joined("t2", v1::ROLE_TEACHER)));
  BOOST_TEST(!vis(e.left("s2")));
  BOOST_TEST(vis(e.left("s1")));
  BOOST_TEST(m.visible_to(e.presence("s2", v1::PRESENCE_OFFLINE), "s1"));
  --e.seq;
  // Before apply: the track's owner is still known.
  auto unpub = e.unpublished("tr2");
  BOOST_TEST(!m.visible_to(unpub, "p1"));
  BOOST_TEST(m.visible_to(unpub, "s1"));
  ok(unpub);
}

BOOST_AUTO_TEST_CASE(replay_rebuilds_the_same_state) {
  fixture f;
  f.basic();
  std::mt19937 rng{12345};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  int next_id = 0;
  int applied = 0;
  for (int i = 0; i < 3000; ++i) {
    const auto& s = f.m.snapshot();
    std::vector<std::string> ids;
    for (const auto& mm : s.members())
      ids.push_back(mm.identity());
    auto any = [&]() { return ids[static_cast<size_t>(pick(static_cast<int>(ids.size())))]; };
    auto fresh = [&](const char* p) { return p + std::to_string(++next_id); };
    v1::ClassroomEvent ev;
    bool have = false;
    switch (pick(11)) {
      case 0:
        if (ids.size() < 12) {
          ev = f.e.joined(fresh("m"), static_cast<v1::Role>(1 + pick(3)));
          have = true;
        }
        break;
      case 1:
        if (ids.size() > 3) {
          ev = f.e.left(any());
          have = true;
        }
        break;
      case 2: ev = f.e.presence(any(), static_cast<v1::Presence>(1 + pick(2))); have = true; break;
      case 3: {
        auto who = any();
        ev = f.m.hands().raised(who) ? f.e.lowered(who) : f.e.raised(who);
        have = true;
        break;
      }
      case 4: {
        if (s.calls_size() > 0 && pick(2) == 0) {
          const auto& c = s.calls(pick(s.calls_size()));
          ev = f.e.call(c.call_id(), c.caller(), c.callee(), 2 + pick(4));
        } else {
          auto a = any(), b = any();
          if (a == b)
            break;
          ev = f.e.call(fresh("c"), a, b, 1);
        }
        have = true;
        break;
      }
      case 5:
        ev = f.e.device(any(), static_cast<v1::Camera>(pick(3)),
                        static_cast<v1::ScreenMode>(pick(3)));
        have = true;
        break;
      case 6: ev = f.e.stroke(fresh("k"), static_cast<uint32_t>(pick(3))); have = true; break;
      case 7: {
        std::vector<std::string> strokes;
        for (const auto& op : s.whiteboard())
          if (op.has_stroke())
            strokes.push_back(op.stroke().stroke_id());
        if (!strokes.empty() && pick(3) > 0)
          ev = f.e.erase(strokes[static_cast<size_t>(pick(static_cast<int>(strokes.size())))]);
        else if (pick(2) == 0)
          ev = f.e.clear(static_cast<uint32_t>(pick(3)));
        else
          ev = f.e.page(static_cast<uint32_t>(pick(3)));
        have = true;
        break;
      }
      case 8: ev = f.e.published(fresh("tr"), any()); have = true; break;
      case 9:
        if (s.tracks_size() > 0) {
          ev = f.e.unpublished(s.tracks(pick(s.tracks_size())).track_id());
          have = true;
        }
        break;
      case 10:
        if (s.tracks_size() > 0) {
          ev = f.e.muted(s.tracks(pick(s.tracks_size())).track_id(), pick(2) == 0);
          have = true;
        }
        break;
    }
    if (!have)
      continue;
    f.ok(ev);
    ++applied;
  }
  BOOST_TEST(applied > 2000);
  // Through the wire format, as the journal stores them.
  classroom_model b;
  for (const auto& ev : f.e.log) {
    auto wire = ev.SerializeAsString();
    v1::ClassroomEvent back;
    BOOST_REQUIRE(back.ParseFromString(wire));
    BOOST_REQUIRE((b.apply(back) == errc::none));
  }
  BOOST_TEST(b.seq() == f.m.seq());
  BOOST_TEST(bytes(b.snapshot()) == bytes(f.m.snapshot()));
  BOOST_TEST(google::protobuf::util::MessageDifferencer::Equals(b.snapshot(), f.m.snapshot()));
  BOOST_TEST((b.hands().order() == f.m.hands().order()));
  // The snapshot's hand_queue mirrors the hand_queue.
  BOOST_TEST((strs(b.snapshot().hand_queue().begin(), b.snapshot().hand_queue().end())
              == strs(b.hands().order().begin(), b.hands().order().end())));
}

BOOST_AUTO_TEST_SUITE_END()
