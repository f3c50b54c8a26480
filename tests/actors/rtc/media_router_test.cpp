// The sfu provider's path from a classroom to the forwarder on the
// deterministic actor fixture: media router -> media host -> leg ->
// media::track_media -> media worker, with an in-process placer instead of a
// cluster (two "media nodes": two worker pools of this process that share a
// pipe secret). The classroom cases go through the track actors as a node
// does: classroom -> track -> router.

#include <boost/test/unit_test.hpp>

#include <memory>
#include <set>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "actors/rtc/media_host.hpp"
#include "actors/rtc/media_placer.hpp"
#include "actors/rtc/media_router.hpp"
#include "media/sdp.hpp"
#include "media/sdp_offer.hpp"
#include "media/worker_pool.hpp"
#include "tests/actors/actor_fixture.hpp"

using namespace lamplight::test;
namespace media = lamplight::media;

namespace {

constexpr auto forever = caf::infinite;

/// What the placer was asked and the legs the hosts opened, shared with
/// the test.
struct placements {
  std::vector<std::string> asked;                  // the `near` of each request
  std::vector<std::vector<std::string>> excluded;  // and what it excluded
  std::map<std::string, std::vector<actors::media_leg_actor>> legs;  // by node
  bool refuse = false;  // answer unavailable to everything
};

/// Two media nodes, "node-a" and "node-b": a member whose participant is
/// "near" node-b goes there, everyone else to node-a, unless excluded.
struct placer_state {
  std::shared_ptr<placements> log;
  std::map<std::string, actors::media_host_actor> hosts;
  static inline const char* name = "test.placer";
};

actors::media_placer_actor::behavior_type
placer_impl(actors::media_placer_actor::stateful_pointer<placer_state> self,
            std::shared_ptr<placements> log, std::map<std::string, actors::media_host_actor> hosts) {
  self->state.log = std::move(log);
  self->state.hosts = std::move(hosts);
  return {
    [=](atoms::place, const std::string& near, const std::vector<std::string>& exclude)
      -> caf::result<std::string, actors::media_host_actor> {
      auto& s = self->state;
      s.log->asked.push_back(near);
      s.log->excluded.push_back(exclude);
      if (s.log->refuse)
        return actors::make_error(errc::unavailable, "no media node in the cluster");
      auto usable = [&](const std::string& n) {
        return std::find(exclude.begin(), exclude.end(), n) == exclude.end();
      };
      std::string node = near == "node-b" ? "node-b" : "node-a";
      if (!usable(node))
        node = node == "node-a" ? "node-b" : "node-a";
      if (!usable(node))
        return actors::make_error(errc::unavailable, "no media node in the cluster");
      return caf::make_result(node, s.hosts.at(node));
    },
  };
}

/// A media host that records the legs it opens (so a test can kill one,
/// as a media node's death would). The legs' owner is this proxy, which
/// lives as long as the test.
struct host_proxy_state {
  actors::media_host_actor real;
  std::shared_ptr<placements> log;
  std::string node;
  static inline const char* name = "test.host_proxy";
};

actors::media_host_actor::behavior_type
host_proxy_impl(actors::media_host_actor::stateful_pointer<host_proxy_state> self,
                actors::media_host_actor real, std::shared_ptr<placements> log,
                std::string node) {
  self->state.real = std::move(real);
  self->state.log = std::move(log);
  self->state.node = std::move(node);
  return {
    [=](atoms::leg, actors::media_leg_spec& spec) -> caf::result<actors::media_leg_actor> {
      auto rp = self->make_response_promise<actors::media_leg_actor>();
      self->request(self->state.real, forever, atoms::leg::value, std::move(spec))
        .then(
          [=](actors::media_leg_actor& leg) mutable {
            self->state.log->legs[self->state.node].push_back(leg);
            rp.deliver(std::move(leg));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](caf::get_atom) { return self->delegate(self->state.real, caf::get_atom::value); },
  };
}

std::vector<uint8_t> pipe_secret() {
  return std::vector<uint8_t>(32, 0x5a);
}

std::shared_ptr<media::worker_pool> make_pool() {
  media::media_worker::config c;
  c.pipe_secret = pipe_secret();
  return std::make_shared<media::worker_pool>(c, 1);
}

/// A lamp's offer for one leg, as lamplight-lamp writes it.
std::string offer(bool send, uint32_t ssrc, const std::string& ufrag) {
  media::offer_params p;
  p.kind = "video";
  p.send = send;
  p.ssrc = ssrc;
  p.ice_ufrag = ufrag;
  p.ice_pwd = "pwd-" + ufrag + "-0123456789abcdef";
  p.fingerprint = "sha-256 " + std::string(95, 'A');
  for (std::size_t i = 2; i < 95; i += 3)
    p.fingerprint[8 + i] = ':';
  return media::write_sdp(media::make_offer(p));
}

/// The UDP port an answer tells the client to send to.
uint16_t answer_port(const std::string& sdp) {
  auto ep = media::read_answer(sdp);
  BOOST_REQUIRE_MESSAGE(bool(ep), "unreadable answer: " << sdp);
  return ep->port;
}

struct router_fixture : actor_fixture {
  std::shared_ptr<media::worker_pool> pool_a = make_pool();
  std::shared_ptr<media::worker_pool> pool_b = make_pool();
  std::shared_ptr<placements> log = std::make_shared<placements>();
  actors::media_placer_actor placer;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> lost;

  router_fixture() {
    auto host = [&](const std::shared_ptr<media::worker_pool>& pool, const std::string& node) {
      return sys.spawn(host_proxy_impl, actors::spawn_media_host(sys, pool), log, node);
    };
    placer = sys.spawn(placer_impl, log,
                       std::map<std::string, actors::media_host_actor>{
                         {"node-a", host(pool_a, "node-a")}, {"node-b", host(pool_b, "node-b")}});
    run();
  }

  ~router_fixture() {
    caf::anon_send_exit(placer, caf::exit_reason::user_shutdown);
    run();
  }

  media::media_worker& worker_a() { return *pool_a->workers().front(); }
  media::media_worker& worker_b() { return *pool_b->workers().front(); }

  /// Peers on a worker once it ran every command sent to it so far.
  std::size_t peers(media::media_worker& w) {
    w.stats();
    return w.peer_count();
  }

  actors::rtc_room_actor spawn_router() {
    actors::rtc_room_spec spec{"acme", "room-1", nullptr, {}};
    spec.on_media_lost = [this](const actors::rtc_room_actor&, std::vector<std::string> members,
                                std::vector<std::string> tracks) {
      lost.emplace_back(std::move(members), std::move(tracks));
    };
    auto r = actors::spawn_media_router(sys, placer, std::move(spec));
    run();
    return r;
  }

  /// Asks `room` and returns its answer or error, running the actors until
  /// it came.
  template <class T, class... Ts>
  caf::expected<T> ask(const actors::rtc_room_actor& room, Ts&&... xs) {
    caf::scoped_actor self{sys};
    auto req = self->request(room, forever, std::forward<Ts>(xs)...);
    run();
    caf::expected<T> out = caf::make_error(caf::sec::request_timeout);
    req.receive([&](T& x) { out = std::move(x); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  /// Why `x` holds no value ("" if it holds one: Boost.Test builds a
  /// message whether the check fails or not).
  template <class T>
  static std::string why(const caf::expected<T>& x) {
    return x ? std::string{} : actors::to_protocol_error(x.error()).message;
  }

  std::string publish(const actors::rtc_room_actor& room, const std::string& track,
                      const std::string& owner, uint32_t ssrc) {
    auto answer = ask<std::string>(room, atoms::publish::value, track, owner,
                                   offer(true, ssrc, "u" + owner));
    BOOST_REQUIRE_MESSAGE(bool(answer), "publish: " << why(answer));
    return *answer;
  }

  std::string subscribe(const actors::rtc_room_actor& room, const std::string& track,
                        const std::string& who) {
    auto n = ask<actors::rtc_negotiation>(room, atoms::subscribe::value, track, who,
                                          offer(false, 0, "u" + who + track.substr(0, 2)),
                                          sig::LAYER_UNSPECIFIED);
    BOOST_REQUIRE_MESSAGE(bool(n), "subscribe: " << why(n));
    BOOST_TEST(!n->server_offer);
    return n->sdp;
  }

  actors::rtc_room_stats stats(const actors::rtc_room_actor& room) {
    auto s = ask<actors::rtc_room_stats>(room, caf::get_atom::value);
    BOOST_REQUIRE(bool(s));
    return *s;
  }

  void near(const actors::rtc_room_actor& room, const std::string& who, const std::string& node) {
    caf::anon_send(room, atoms::near::value, who, node);
    run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(media_router, router_fixture)

BOOST_AUTO_TEST_CASE(members_on_one_media_node_share_one_leg_there) {
  auto room = spawn_router();
  near(room, "t", "node-a");
  near(room, "s", "node-a");
  BOOST_TEST(answer_port(publish(room, "t/1", "t", 1111)) == worker_a().port());
  BOOST_TEST(answer_port(subscribe(room, "t/1", "s")) == worker_a().port());
  // Each member placed once; one leg on node-a, none elsewhere.
  BOOST_TEST(log->asked.size() == 2u);
  BOOST_TEST(log->legs["node-a"].size() == 1u);
  BOOST_TEST(log->legs["node-b"].empty());
  BOOST_TEST(peers(worker_a()) == 2u);
  BOOST_TEST(peers(worker_b()) == 0u);
  auto st = stats(room);
  BOOST_TEST(st.publishers == 1u);
  BOOST_TEST(st.subscriptions == 1u);
  // The track's owner goes: its track and its subscribers' legs with it.
  caf::anon_send(room, atoms::unpublish::value, std::string("t/1"));
  run();
  BOOST_TEST(peers(worker_a()) == 0u);
  BOOST_TEST(stats(room).subscriptions == 0u);
  caf::anon_send(room, atoms::close::value);
  run();
}

BOOST_AUTO_TEST_CASE(a_track_watched_on_another_media_node_crosses_once) {
  auto room = spawn_router();
  near(room, "t", "node-a");
  near(room, "s1", "node-b");
  near(room, "s2", "node-b");
  publish(room, "t/1", "t", 2222);
  // Both ask at once: node-b's leg is opened once, the track piped once.
  caf::scoped_actor self{sys};
  auto r1 = self->request(room, forever, atoms::subscribe::value, std::string("t/1"),
                          std::string("s1"), offer(false, 0, "us1"), sig::LAYER_UNSPECIFIED);
  auto r2 = self->request(room, forever, atoms::subscribe::value, std::string("t/1"),
                          std::string("s2"), offer(false, 0, "us2"), sig::LAYER_UNSPECIFIED);
  run();
  for (auto* r : {&r1, &r2})
    r->receive([&](actors::rtc_negotiation& n) { BOOST_TEST(answer_port(n.sdp) == worker_b().port()); },
               [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  BOOST_TEST(log->legs["node-b"].size() == 1u);
  BOOST_TEST(worker_a().stats().pipes == 1u);
  BOOST_TEST(worker_b().stats().pipes == 1u);
  // node-b serves its two subscribers from the piped copy: two subscriber
  // peers there, the publisher alone on node-a.
  BOOST_TEST(peers(worker_b()) == 2u);
  BOOST_TEST(peers(worker_a()) == 1u);
  BOOST_TEST(stats(room).subscriptions == 2u);
  // A subscriber leaves: its leg goes, the pipe stays for the other.
  caf::anon_send(room, atoms::unsub::value, std::string("t/1"), std::string("s1"));
  run();
  BOOST_TEST(peers(worker_b()) == 1u);
  caf::anon_send(room, atoms::close::value);
  run();
}

BOOST_AUTO_TEST_CASE(a_dead_media_node_takes_its_media_and_is_not_placed_on_again) {
  auto room = spawn_router();
  near(room, "t", "node-a");
  near(room, "s", "node-b");
  publish(room, "t/1", "t", 3333);
  subscribe(room, "t/1", "s");
  BOOST_REQUIRE(log->legs["node-a"].size() == 1u);
  // node-a (the track's home) dies: its leg is gone.
  caf::anon_send_exit(log->legs["node-a"].front(), caf::exit_reason::kill);
  run();
  BOOST_REQUIRE(lost.size() == 1u);
  // Its owner lost its media; the track is gone (the classroom unpublishes
  // it, which its watchers on node-b learn as for any track).
  BOOST_TEST((lost[0].first == std::vector<std::string>{"t"}));
  BOOST_TEST((lost[0].second == std::vector<std::string>{"t/1"}));
  // The piped copy on node-b went with its track, and the legs watching it.
  BOOST_TEST(peers(worker_b()) == 0u);
  auto st = stats(room);
  BOOST_TEST(st.publishers == 0u);
  BOOST_TEST(st.subscriptions == 0u);
  // The owner publishes again: placed anew, never on the dead node.
  auto answer = publish(room, "t/2", "t", 3334);
  BOOST_TEST(answer_port(answer) == worker_b().port());
  BOOST_TEST((log->excluded.back() == std::vector<std::string>{"node-a"}));
  caf::anon_send(room, atoms::close::value);
  run();
}

BOOST_AUTO_TEST_CASE(no_media_node_is_a_typed_error_and_nothing_is_held) {
  auto room = spawn_router();
  log->refuse = true;
  auto answer = ask<std::string>(room, atoms::publish::value, std::string("t/1"), std::string("t"),
                                 offer(true, 4444, "ut"));
  BOOST_REQUIRE(!answer);
  BOOST_TEST((actors::to_protocol_error(answer.error()).code == errc::unavailable));
  // A subscription to a track without media is refused before any placement.
  auto asked = log->asked.size();
  auto n = ask<actors::rtc_negotiation>(room, atoms::subscribe::value, std::string("t/1"),
                                        std::string("s"), offer(false, 0, "us"),
                                        sig::LAYER_UNSPECIFIED);
  BOOST_REQUIRE(!n);
  BOOST_TEST((actors::to_protocol_error(n.error()).code == errc::not_found));
  BOOST_TEST(log->asked.size() == asked);
  BOOST_TEST(peers(worker_a()) + peers(worker_b()) == 0u);
  caf::anon_send(room, atoms::close::value);
  run();
}

BOOST_AUTO_TEST_SUITE_END()

// -- the same path from a classroom, through its track actors ---------------------

namespace {

struct classroom_media_fixture : router_fixture {
  classroom_media_fixture() {
    stop_directory();
    auto d = directory_cfg();
    d.rtc.media_placer = placer;
    auto dd = actors::spawn_directory(sys, d);
    BOOST_REQUIRE(bool(dd));
    directory = *dd;
    run();
  }

  sig::ServerMessage publish(client& c, uint32_t ssrc, const std::string& ufrag) {
    sig::ClientMessage m;
    m.mutable_publish()->set_kind(sig::TRACK_KIND_VIDEO);
    m.mutable_publish()->set_source(sig::TRACK_SOURCE_FACE_CAMERA);
    m.mutable_publish()->set_sdp(offer(true, ssrc, ufrag));
    return request(c, m);
  }

  sig::ServerMessage subscribe(client& c, const std::string& track, const std::string& ufrag) {
    sig::ClientMessage m;
    m.mutable_subscribe()->set_track_id(track);
    m.mutable_subscribe()->set_sdp(offer(false, 0, ufrag));
    return request(c, m);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(classroom_media, classroom_media_fixture)

BOOST_AUTO_TEST_CASE(a_track_actor_programs_its_media_and_forgets_who_left) {
  auto teacher = claims("t", sig::ROLE_TEACHER);
  teacher.mode = sig::MODE_SMALL_GROUP;
  auto& t = join(teacher);
  auto& s = join(claims("s", sig::ROLE_STUDENT));
  auto& p = join(claims("s2", sig::ROLE_STUDENT));

  auto pub = publish(t, 5555, "ut");
  BOOST_REQUIRE_MESSAGE(pub.has_published(), pub.error().message());
  BOOST_TEST(answer_port(pub.published().sdp()) == worker_a().port());
  auto track = pub.published().track_id();
  // Everyone's participant runs here: all of it on node-a.
  auto sub = subscribe(s, track, "us");
  BOOST_REQUIRE_MESSAGE(sub.has_subscribed(), sub.error().message());
  BOOST_TEST(answer_port(sub.subscribed().sdp()) == worker_a().port());
  BOOST_REQUIRE(subscribe(p, track, "up").has_subscribed());
  BOOST_TEST(peers(worker_a()) == 3u);

  // A second subscription of the same member replaces its leg.
  BOOST_REQUIRE(subscribe(s, track, "us-again").has_subscribed());
  BOOST_TEST(peers(worker_a()) == 3u);

  // Unsubscribing takes the leg down; twice is not_found.
  sig::ClientMessage unsub;
  unsub.mutable_unsubscribe()->set_track_id(track);
  BOOST_TEST((code_of(request(s, unsub)) == errc::none));
  BOOST_TEST(peers(worker_a()) == 2u);
  BOOST_TEST((code_of(request(s, unsub)) == errc::not_found));

  // A subscriber that leaves is forgotten by the track: its leg goes.
  sig::ClientMessage leave;
  leave.mutable_leave();
  BOOST_TEST((code_of(request(p, leave)) == errc::none));
  run();
  BOOST_TEST(peers(worker_a()) == 1u);
  // Back in the classroom, it subscribes anew (the track forgot it; a
  // subscription it still held would be already_exists without an offer).
  auto& back = join(claims("s2", sig::ROLE_STUDENT));
  sig::ClientMessage control_only;
  control_only.mutable_subscribe()->set_track_id(track);
  BOOST_TEST((code_of(request(back, control_only)) == errc::none));
  BOOST_TEST((code_of(request(back, control_only)) == errc::already_exists));

  // Unpublishing ends the publisher's leg too.
  sig::ClientMessage unpub;
  unpub.mutable_unpublish()->set_track_id(track);
  BOOST_TEST((code_of(request(t, unpub)) == errc::none));
  run();
  BOOST_TEST(peers(worker_a()) == 0u);
}

BOOST_AUTO_TEST_CASE(a_refused_offer_publishes_nothing) {
  auto teacher = claims("t", sig::ROLE_TEACHER);
  teacher.mode = sig::MODE_ONE_ON_ONE;
  auto& t = join(teacher);
  sig::ClientMessage m;
  m.mutable_publish()->set_kind(sig::TRACK_KIND_VIDEO);
  m.mutable_publish()->set_source(sig::TRACK_SOURCE_FACE_CAMERA);
  m.mutable_publish()->set_sdp("v=0\r\nnot an offer\r\n");
  BOOST_TEST((code_of(request(t, m)) == errc::bad_request));
  BOOST_TEST(snapshot("room-1").tracks_size() == 0);
  BOOST_TEST(peers(worker_a()) == 0u);
  // The source is still free.
  BOOST_TEST(publish(t, 6666, "ut").has_published());
  BOOST_TEST(snapshot("room-1").tracks_size() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
