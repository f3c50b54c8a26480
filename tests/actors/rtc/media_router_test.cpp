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

/// A lamp's ICE credentials and certificate fingerprint.
media::offer_params lamp_params(const std::string& ufrag) {
  media::offer_params p;
  p.ice_ufrag = ufrag;
  p.ice_pwd = "pwd-" + ufrag + "-0123456789abcdef";
  p.fingerprint = "sha-256 " + std::string(95, 'A');
  for (std::size_t i = 2; i < 95; i += 3)
    p.fingerprint[8 + i] = ':';
  return p;
}

/// A lamp's publish session offer, as lamplight-lamp writes it: one video
/// section per SSRC (mids "0", "1", ...).
std::string session_offer(const std::vector<uint32_t>& ssrcs, const std::string& ufrag) {
  std::vector<media::offered_section> sections;
  for (auto ssrc : ssrcs)
    sections.push_back({std::to_string(sections.size()), "video", media::sdp_direction::sendonly,
                        ssrc, "cam"});
  return media::write_sdp(media::make_session_offer(sections, lamp_params(ufrag)));
}

/// A client's publish session so far: each section's SSRC and the track
/// it publishes ("" for none), and a generation that makes its
/// connection's ICE credentials (a new one is a new connection).
struct client_session {
  std::vector<std::pair<uint32_t, std::string>> sections;
  int generation = 0;

  /// Adds a section publishing `track` from `ssrc` (or moves the track to
  /// `ssrc` if it has a section): the whole offer, each track named.
  sig::Publish offer(const std::string& owner, const std::string& track, uint32_t ssrc,
                     sig::TrackSource source = sig::TRACK_SOURCE_FACE_CAMERA) {
    auto at = std::find_if(sections.begin(), sections.end(),
                           [&](const auto& x) { return x.second == track; });
    if (at == sections.end())
      sections.emplace_back(ssrc, track);
    else
      at->first = ssrc;
    std::vector<uint32_t> ssrcs;
    sig::Publish p;
    for (const auto& [x, id] : sections) {
      ssrcs.push_back(x);
      if (id.empty())
        continue;
      auto* t = p.add_tracks();
      t->set_mid(std::to_string(ssrcs.size() - 1));
      t->set_kind(sig::TRACK_KIND_VIDEO);
      t->set_source(source);
      t->set_track_id(id);
    }
    p.set_sdp(session_offer(ssrcs, "u" + owner + std::to_string(generation)));
    return p;
  }
  /// The track's section stays, publishing nothing.
  void forget(const std::string& track) {
    for (auto& x : sections)
      if (x.second == track)
        x.second.clear();
  }
  /// A new connection: no sections yet.
  void restart() {
    sections.clear();
    ++generation;
  }
};

/// The UDP port an answer tells the client to send to.
uint16_t answer_port(const std::string& sdp) {
  auto ep = media::read_answer(sdp);
  BOOST_REQUIRE_MESSAGE(bool(ep), "unreadable answer: " << sdp);
  return ep->port;
}

/// A client's answer to a subscribe session's offer (its ICE credentials
/// and certificate stand for a lamp's).
std::string answer_to(const sig::SubscribeOffer& o, const std::string& ufrag) {
  auto parsed = media::parse_sdp(o.sdp());
  BOOST_REQUIRE_MESSAGE(bool(parsed), "unreadable offer: " << o.sdp());
  auto a = media::make_session_answer(*parsed, lamp_params(ufrag));
  // (Boost.Test builds the message whether the check fails or not.)
  BOOST_REQUIRE_MESSAGE(bool(a), "no answer: " << (a ? "" : a.err().message));
  return media::write_sdp(*a);
}

/// The offers a media room sent each member's participant, in order.
using offers_by_member = std::map<std::string, std::vector<sig::SubscribeOffer>>;

struct sink_state {
  std::shared_ptr<offers_by_member> log;
  std::string who;
  static inline const char* name = "test.offer_sink";
};

actors::offer_sink_actor::behavior_type
sink_impl(actors::offer_sink_actor::stateful_pointer<sink_state> self,
          std::shared_ptr<offers_by_member> log, std::string who) {
  self->state.log = std::move(log);
  self->state.who = std::move(who);
  return {
    [=](atoms::offer, const sig::SubscribeOffer& o) {
      (*self->state.log)[self->state.who].push_back(o);
    },
  };
}

/// The track ids an offer carries.
std::set<std::string> tracks_in(const sig::SubscribeOffer& o) {
  std::set<std::string> out;
  for (const auto& t : o.tracks())
    out.insert(t.track_id());
  return out;
}

struct router_fixture : actor_fixture {
  std::shared_ptr<media::worker_pool> pool_a = make_pool();
  std::shared_ptr<media::worker_pool> pool_b = make_pool();
  std::shared_ptr<placements> log = std::make_shared<placements>();
  actors::media_placer_actor placer;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> lost;
  std::shared_ptr<offers_by_member> offers = std::make_shared<offers_by_member>();
  std::map<std::string, actors::offer_sink_actor> sinks;

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
    for (auto& [who, sink] : sinks)
      caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
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
    actors::rtc_room_spec spec{"acme", "room-1", nullptr, {}, {}};
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

  /// Each owner's publish session.
  std::map<std::string, client_session> sessions;

  /// `track` from `ssrc` on `owner`'s publish session: the room's answer.
  std::string publish(const actors::rtc_room_actor& room, const std::string& track,
                      const std::string& owner, uint32_t ssrc) {
    auto answer = ask<sig::Published>(room, atoms::publish::value, owner,
                                      sessions[owner].offer(owner, track, ssrc));
    BOOST_REQUIRE_MESSAGE(bool(answer), "publish: " << why(answer));
    BOOST_TEST(answer->tracks_size() > 0);
    return answer->sdp();
  }

  actors::offer_sink_actor sink(const std::string& who) {
    auto& s = sinks[who];
    if (!s)
      s = sys.spawn(sink_impl, offers, who);
    return s;
  }

  /// The last offer `who`'s session got (fails the test if none).
  const sig::SubscribeOffer& last_offer(const std::string& who) {
    auto& got = (*offers)[who];
    BOOST_REQUIRE_MESSAGE(!got.empty(), who << " got no offer");
    return got.back();
  }

  /// Asks for `track` in `who`'s subscribe session.
  caf::expected<caf::ok_atom> watch(const actors::rtc_room_actor& room, const std::string& track,
                                    const std::string& who) {
    return ask<caf::ok_atom>(room, atoms::subscribe::value, track, who, sig::LAYER_UNSPECIFIED,
                             sink(who));
  }

  /// Answers `who`'s last offer as its client would.
  caf::expected<caf::ok_atom> answer(const actors::rtc_room_actor& room, const std::string& who) {
    const auto& o = last_offer(who);
    sig::SubscribeAnswer a;
    a.set_session(o.session());
    a.set_version(o.version());
    a.set_sdp(answer_to(o, "u" + who));
    return ask<caf::ok_atom>(room, atoms::answer::value, who, a);
  }

  /// Watches `track` and answers the offer that carries it: the offer.
  sig::SubscribeOffer subscribe(const actors::rtc_room_actor& room, const std::string& track,
                                const std::string& who) {
    auto ok = watch(room, track, who);
    BOOST_REQUIRE_MESSAGE(bool(ok), "subscribe: " << why(ok));
    run();
    auto o = last_offer(who);
    BOOST_TEST(tracks_in(o).count(track) == 1u);
    auto taken = answer(room, who);
    BOOST_REQUIRE_MESSAGE(bool(taken), "answer: " << why(taken));
    return o;
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
  BOOST_TEST(answer_port(subscribe(room, "t/1", "s").sdp()) == worker_a().port());
  // Each member placed once; one leg on node-a, none elsewhere.
  BOOST_TEST(log->asked.size() == 2u);
  BOOST_TEST(log->legs["node-a"].size() == 1u);
  BOOST_TEST(log->legs["node-b"].empty());
  BOOST_TEST(peers(worker_a()) == 2u);
  BOOST_TEST(peers(worker_b()) == 0u);
  auto st = stats(room);
  BOOST_TEST(st.publishers == 1u);
  BOOST_TEST(st.subscriptions == 1u);
  // The track is unpublished: it leaves the subscriber's session, which
  // gets an offer without it and stays (one connection, reused).
  caf::anon_send(room, atoms::unpublish::value, std::string("t/1"));
  sessions["t"].forget("t/1");
  run();
  // The publish session's connection stays, for its other sections.
  BOOST_TEST(peers(worker_a()) == 2u);
  BOOST_TEST(stats(room).subscriptions == 0u);
  BOOST_TEST((*offers)["s"].size() == 2u);
  BOOST_TEST(tracks_in(last_offer("s")).empty());
  BOOST_TEST(bool(answer(room, "s")));
  // Its next track rides the same session: no new connection.
  publish(room, "t/2", "t", 1112);
  auto again = subscribe(room, "t/2", "s");
  BOOST_TEST(again.session() == (*offers)["s"].front().session());
  BOOST_TEST(again.version() == 3u);
  BOOST_TEST(peers(worker_a()) == 2u);
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
                          std::string("s1"), sig::LAYER_UNSPECIFIED, sink("s1"));
  auto r2 = self->request(room, forever, atoms::subscribe::value, std::string("t/1"),
                          std::string("s2"), sig::LAYER_UNSPECIFIED, sink("s2"));
  run();
  for (auto* r : {&r1, &r2})
    r->receive([](caf::ok_atom) {}, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
  // Each session is offered from node-b's worker.
  for (auto who : {"s1", "s2"}) {
    BOOST_TEST(answer_port(last_offer(who).sdp()) == worker_b().port());
    BOOST_TEST(bool(answer(room, who)));
  }
  BOOST_TEST(log->legs["node-b"].size() == 1u);
  BOOST_TEST(worker_a().stats().pipes == 1u);
  BOOST_TEST(worker_b().stats().pipes == 1u);
  // node-b serves its two subscribers from the piped copy: two session
  // peers there, the publisher alone on node-a.
  BOOST_TEST(peers(worker_b()) == 2u);
  BOOST_TEST(peers(worker_a()) == 1u);
  BOOST_TEST(stats(room).subscriptions == 2u);
  // A subscriber stops watching: its session is offered without the
  // track; the pipe stays for the other.
  caf::anon_send(room, atoms::unsub::value, std::string("t/1"), std::string("s1"));
  run();
  BOOST_TEST(tracks_in(last_offer("s1")).empty());
  BOOST_TEST(tracks_in(last_offer("s2")).count("t/1") == 1u);
  BOOST_TEST(stats(room).subscriptions == 1u);
  BOOST_TEST(worker_b().stats().pipes == 1u);
  caf::anon_send(room, atoms::close::value);
  run();
}

BOOST_AUTO_TEST_CASE(answers_that_do_not_fit_are_refused_and_the_session_goes_on) {
  auto room = spawn_router();
  publish(room, "t/1", "t", 7777);
  BOOST_REQUIRE(bool(watch(room, "t/1", "s")));
  run();
  auto o = last_offer("s");
  sig::SubscribeAnswer a;
  a.set_session(o.session());
  a.set_version(o.version() + 1);  // not the offer in flight
  a.set_sdp(answer_to(o, "us"));
  auto stale = ask<caf::ok_atom>(room, atoms::answer::value, std::string("s"), a);
  BOOST_REQUIRE(!stale);
  BOOST_TEST((actors::to_protocol_error(stale.error()).code == errc::wrong_state));
  a.set_version(o.version());
  a.set_sdp("v=0\r\nnot an answer\r\n");
  auto bad = ask<caf::ok_atom>(room, atoms::answer::value, std::string("s"), a);
  BOOST_REQUIRE(!bad);
  BOOST_TEST((actors::to_protocol_error(bad.error()).code == errc::bad_request));
  // The refused offer's changes are offered again, and that one is taken.
  run();
  BOOST_TEST((*offers)["s"].size() == 2u);
  BOOST_TEST(tracks_in(last_offer("s")).count("t/1") == 1u);
  BOOST_TEST(bool(answer(room, "s")));
  BOOST_TEST(peers(worker_a()) == 2u);
  // Someone without a session answers: wrong_state.
  auto nobody = ask<caf::ok_atom>(room, atoms::answer::value, std::string("x"), a);
  BOOST_REQUIRE(!nobody);
  BOOST_TEST((actors::to_protocol_error(nobody.error()).code == errc::wrong_state));
  // Changes while an offer waits go into the next one, after the answer.
  publish(room, "t/2", "t", 7778);
  publish(room, "t/3", "t", 7779);
  BOOST_REQUIRE(bool(watch(room, "t/2", "s")));
  BOOST_REQUIRE(bool(watch(room, "t/3", "s")));
  run();
  BOOST_TEST((*offers)["s"].size() == 3u);  // t/2's; t/3 waits
  BOOST_TEST(bool(answer(room, "s")));
  run();
  BOOST_TEST((*offers)["s"].size() == 4u);
  BOOST_TEST((tracks_in(last_offer("s")) == std::set<std::string>{"t/1", "t/2", "t/3"}));
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
  // The piped copy on node-b went with its track; the watcher's session
  // there stays, offered without it.
  BOOST_TEST(peers(worker_b()) == 1u);
  BOOST_TEST(tracks_in(last_offer("s")).empty());
  auto st = stats(room);
  BOOST_TEST(st.publishers == 0u);
  BOOST_TEST(st.subscriptions == 0u);
  // The owner publishes again on a new connection: placed anew, never on
  // the dead node.
  sessions["t"].restart();
  auto answer = publish(room, "t/2", "t", 3334);
  BOOST_TEST(answer_port(answer) == worker_b().port());
  BOOST_TEST((log->excluded.back() == std::vector<std::string>{"node-a"}));
  caf::anon_send(room, atoms::close::value);
  run();
}

BOOST_AUTO_TEST_CASE(no_media_node_is_a_typed_error_and_nothing_is_held) {
  auto room = spawn_router();
  log->refuse = true;
  auto answer = ask<sig::Published>(room, atoms::publish::value, std::string("t"),
                                    sessions["t"].offer("t", "t/1", 4444));
  BOOST_REQUIRE(!answer);
  BOOST_TEST((actors::to_protocol_error(answer.error()).code == errc::unavailable));
  // A subscription to a track without media is refused before any placement.
  auto asked = log->asked.size();
  auto n = watch(room, "t/1", "s");
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

  /// Each client's publish session: the sources its sections send, by
  /// SSRC, and the ICE ufrag of its connection.
  struct session_state {
    std::string ufrag;
    std::vector<std::pair<uint32_t, sig::TrackSource>> sections;
  };
  std::map<const client*, session_state> sessions;

  struct published_source {
    sig::ServerMessage reply;
    std::string track;  // the id of the source just added ("" if refused)
  };

  /// Adds `source` from `ssrc` to `c`'s publish session (made with
  /// `ufrag` by its first offer): the whole offer, each section named.
  published_source publish(client& c, uint32_t ssrc, const std::string& ufrag,
                           sig::TrackSource source = sig::TRACK_SOURCE_FACE_CAMERA) {
    auto& st = sessions[&c];
    if (st.ufrag.empty())
      st.ufrag = ufrag;
    auto sections = st.sections;
    sections.emplace_back(ssrc, source);
    std::vector<uint32_t> ssrcs;
    sig::ClientMessage m;
    for (const auto& [x, src] : sections) {
      auto* t = m.mutable_publish()->add_tracks();
      t->set_mid(std::to_string(ssrcs.size()));
      t->set_kind(sig::TRACK_KIND_VIDEO);
      t->set_source(src);
      ssrcs.push_back(x);
    }
    m.mutable_publish()->set_sdp(session_offer(ssrcs, st.ufrag));
    published_source out{request(c, m), {}};
    if (out.reply.has_published()) {
      st.sections = std::move(sections);
      out.track = track_of(out.reply, std::to_string(st.sections.size() - 1));
    }
    return out;
  }

  static std::vector<sig::ServerMessage> offers_to(const client& c) {
    return c.pushes(sig::ServerMessage::kSubscribeOffer);
  }

  static sig::SubscribeOffer last_offer(const client& c) {
    auto got = offers_to(c);
    BOOST_REQUIRE_MESSAGE(!got.empty(), "no offer came");
    return got.back().subscribe_offer();
  }

  /// Answers the client's last session offer as the client would.
  sig::ServerMessage answer(client& c, const std::string& ufrag) {
    auto o = last_offer(c);
    sig::ClientMessage m;
    auto* a = m.mutable_subscribe_answer();
    a->set_session(o.session());
    a->set_version(o.version());
    a->set_sdp(answer_to(o, ufrag));
    return request(c, m);
  }

  /// Subscribes, then answers the offer that carries the track.
  sig::SubscribeOffer subscribe(client& c, const std::string& track, const std::string& ufrag) {
    sig::ClientMessage m;
    m.mutable_subscribe()->set_track_id(track);
    auto r = request(c, m);
    BOOST_REQUIRE_MESSAGE(r.has_ack(), r.DebugString());
    run();
    auto o = last_offer(c);
    BOOST_TEST(tracks_in(o).count(track) == 1u);
    auto a = answer(c, ufrag);
    BOOST_REQUIRE_MESSAGE(a.has_ack(), a.DebugString());
    return o;
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
  BOOST_REQUIRE_MESSAGE(pub.reply.has_published(), pub.reply.DebugString());
  BOOST_TEST(answer_port(pub.reply.published().sdp()) == worker_a().port());
  auto track = pub.track;
  // Everyone's participant runs here: all of it on node-a, one session
  // per watcher.
  auto o = subscribe(s, track, "us");
  BOOST_TEST(answer_port(o.sdp()) == worker_a().port());
  subscribe(p, track, "up");
  BOOST_TEST(peers(worker_a()) == 3u);

  // Subscribing again changes the layer only: no offer, no connection.
  sig::ClientMessage low;
  low.mutable_subscribe()->set_track_id(track);
  low.mutable_subscribe()->set_layer(sig::LAYER_LOW);
  BOOST_TEST(request(s, low).has_ack());
  run();
  BOOST_TEST(offers_to(s).size() == 1u);
  BOOST_TEST(peers(worker_a()) == 3u);

  // Unsubscribing: the session is offered without it and stays; twice is
  // not_found.
  sig::ClientMessage unsub;
  unsub.mutable_unsubscribe()->set_track_id(track);
  BOOST_TEST((code_of(request(s, unsub)) == errc::none));
  run();
  BOOST_TEST(offers_to(s).size() == 2u);
  BOOST_TEST(tracks_in(last_offer(s)).empty());
  BOOST_TEST(answer(s, "us").has_ack());
  BOOST_TEST(peers(worker_a()) == 3u);
  BOOST_TEST((code_of(request(s, unsub)) == errc::not_found));

  // A subscriber that leaves takes its session with it.
  sig::ClientMessage leave;
  leave.mutable_leave();
  BOOST_TEST((code_of(request(p, leave)) == errc::none));
  run();
  BOOST_TEST(peers(worker_a()) == 2u);
  // Back in the classroom, it watches anew on a new session.
  auto& back = join(claims("s2", sig::ROLE_STUDENT));
  auto again = subscribe(back, track, "up2");
  BOOST_TEST(again.version() == 1u);
  BOOST_TEST(peers(worker_a()) == 3u);

  // Unpublishing takes the track out of the watchers' sessions; they stay,
  // and so does the publisher's session (its section is unforwarded).
  sig::ClientMessage unpub;
  unpub.mutable_unpublish()->set_track_id(track);
  BOOST_TEST((code_of(request(t, unpub)) == errc::none));
  run();
  BOOST_TEST(peers(worker_a()) == 3u);
  BOOST_TEST(tracks_in(last_offer(back)).empty());
}

BOOST_AUTO_TEST_CASE(a_lamp_that_accepts_before_the_camera_is_up_watches_it_when_it_comes) {
  auto teacher = claims("t", sig::ROLE_TEACHER);
  teacher.mode = sig::MODE_ONE_ON_ONE;
  auto& t = join(teacher);
  auto& s = join(claims("s", sig::ROLE_STUDENT));
  auto invited = request(t, invite("s"));
  BOOST_REQUIRE_MESSAGE(invited.has_call_invited(), invited.DebugString());
  auto call = invited.call_invited().call_id();
  BOOST_REQUIRE(request(s, accept_call(call)).has_ack());
  run();
  // Nothing published yet: nothing to watch.
  BOOST_TEST(offers_to(s).empty());
  // The teacher's camera comes up after the accept: the lamp watches it
  // without asking, and the teacher the lamp's as it comes.
  auto cam = publish(t, 8801, "ut");
  BOOST_REQUIRE_MESSAGE(cam.reply.has_published(), cam.reply.DebugString());
  run();
  BOOST_REQUIRE(offers_to(s).size() == 1u);
  BOOST_TEST(tracks_in(last_offer(s)).count(cam.track) == 1u);
  BOOST_TEST(answer(s, "us").has_ack());
  auto desk = publish(s, 8802, "us-pub");
  BOOST_REQUIRE_MESSAGE(desk.reply.has_published(), desk.reply.DebugString());
  run();
  BOOST_REQUIRE(offers_to(t).size() == 1u);
  BOOST_TEST(tracks_in(last_offer(t)).count(desk.track) == 1u);
  BOOST_TEST(answer(t, "ut-sub").has_ack());
  // The call ends: each stops watching the other.
  BOOST_REQUIRE(request(s, hangup_call(call)).has_ack());
  run();
  BOOST_REQUIRE(offers_to(s).size() == 2u);
  BOOST_TEST(tracks_in(last_offer(s)).empty());
  BOOST_REQUIRE(offers_to(t).size() == 2u);
  BOOST_TEST(tracks_in(last_offer(t)).empty());
}

BOOST_AUTO_TEST_CASE(students_of_a_large_class_watch_the_teacher_and_their_choice_stands) {
  auto teacher = claims("t", sig::ROLE_TEACHER);
  teacher.mode = sig::MODE_LARGE_CLASS;
  auto& t = join(teacher);
  auto& early = join(claims("s1", sig::ROLE_STUDENT));
  auto cam = publish(t, 8901, "ut");
  BOOST_REQUIRE_MESSAGE(cam.reply.has_published(), cam.reply.DebugString());
  auto track = cam.track;
  run();
  // Joined before the camera: it comes when published; joined after: at
  // the join.
  BOOST_TEST(tracks_in(last_offer(early)).count(track) == 1u);
  auto& late = join(claims("s2", sig::ROLE_STUDENT));
  run();
  BOOST_TEST(tracks_in(last_offer(late)).count(track) == 1u);
  // Students do not watch each other by themselves.
  auto theirs = publish(late, 8902, "us2-pub");
  BOOST_REQUIRE(theirs.reply.has_published());
  run();
  BOOST_TEST(offers_to(early).size() == 1u);
  // A student that says no to the teacher's camera is not made to watch
  // it again when something else changes.
  BOOST_TEST(answer(early, "us1").has_ack());
  sig::ClientMessage unsub;
  unsub.mutable_unsubscribe()->set_track_id(track);
  BOOST_TEST(request(early, unsub).has_ack());
  run();
  BOOST_TEST(tracks_in(last_offer(early)).empty());
  BOOST_TEST(answer(early, "us1").has_ack());
  auto second = publish(t, 8903, "ut2", sig::TRACK_SOURCE_DESK_CAMERA);
  run();
  BOOST_TEST((tracks_in(last_offer(early)) == std::set<std::string>{second.track}));
  BOOST_TEST(tracks_in(last_offer(late)).count(second.track) == 0u);  // in flight
}

BOOST_AUTO_TEST_CASE(a_refused_offer_publishes_nothing) {
  auto teacher = claims("t", sig::ROLE_TEACHER);
  teacher.mode = sig::MODE_ONE_ON_ONE;
  auto& t = join(teacher);
  auto m = lamplight::test::publish({{"0", sig::TRACK_SOURCE_FACE_CAMERA}});
  m.mutable_publish()->set_sdp("v=0\r\nnot an offer\r\n");
  BOOST_TEST((code_of(request(t, m)) == errc::bad_request));
  BOOST_TEST(snapshot("room-1").tracks_size() == 0);
  BOOST_TEST(peers(worker_a()) == 0u);
  // The source is still free.
  BOOST_TEST(publish(t, 6666, "ut").reply.has_published());
  BOOST_TEST(snapshot("room-1").tracks_size() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
