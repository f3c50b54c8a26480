#include <boost/test/unit_test.hpp>

#include <functional>
#include <vector>

#include "protocol/call_machine.hpp"

using namespace lamplight::protocol;

namespace {

// Every input a machine can get: the own-client, classroom and timer inputs,
// then on_peer for each signal.
enum class input : int {
  invite, accept, reject, cancel, hangup, media_ready, incoming, ring_timeout, media_timeout,
  peer_first // + static_cast<int>(call_signal)
};
constexpr int num_signals = 11;
constexpr int num_inputs = static_cast<int>(input::peer_first) + num_signals;

call_step feed(call_machine& m, int i) {
  switch (static_cast<input>(i)) {
    case input::invite: return m.invite();
    case input::accept: return m.accept();
    case input::reject: return m.reject();
    case input::cancel: return m.cancel();
    case input::hangup: return m.hangup();
    case input::media_ready: return m.media_ready();
    case input::incoming: return m.incoming();
    case input::ring_timeout: return m.ring_timeout();
    case input::media_timeout: return m.media_timeout();
    default: break;
  }
  return m.on_peer(static_cast<call_signal>(i - static_cast<int>(input::peer_first)));
}

constexpr int peer(call_signal s) {
  return static_cast<int>(input::peer_first) + static_cast<int>(s);
}
constexpr int in(input x) {
  return static_cast<int>(x);
}

// Builds a machine into `phase` by legal paths only.
call_machine build(call_side side, call_phase phase) {
  call_machine m{"c1", side, side == call_side::caller ? "bob" : "alice"};
  auto must = [](call_step s) { BOOST_REQUIRE((s.error == errc::none)); };
  if (side == call_side::caller) {
    switch (phase) {
      case call_phase::idle: break;
      case call_phase::inviting: must(m.invite()); break;
      case call_phase::ringing: must(m.invite()); must(m.on_peer(call_signal::alerted)); break;
      case call_phase::connecting:
        must(m.invite()); must(m.on_peer(call_signal::alerted));
        must(m.on_peer(call_signal::accepted));
        break;
      case call_phase::connected:
        must(m.invite()); must(m.on_peer(call_signal::alerted));
        must(m.on_peer(call_signal::accepted)); must(m.media_ready());
        must(m.on_peer(call_signal::media_ready));
        break;
      case call_phase::ended: must(m.invite()); must(m.cancel()); break;
    }
  } else {
    switch (phase) {
      case call_phase::idle: break;
      case call_phase::inviting: BOOST_FAIL("callee never invites"); break;
      case call_phase::ringing: must(m.incoming()); break;
      case call_phase::connecting: must(m.incoming()); must(m.accept()); break;
      case call_phase::connected:
        must(m.incoming()); must(m.accept()); must(m.on_peer(call_signal::media_ready));
        must(m.media_ready());
        break;
      case call_phase::ended: must(m.incoming()); must(m.reject()); break;
    }
  }
  BOOST_REQUIRE((m.phase() == phase));
  return m;
}

struct row {
  call_side side;
  call_phase phase;
  int in;
  call_phase next;
  std::optional<call_signal> tell;
  call_timer timer;
  call_end_reason reason;
};

using P = call_phase;
using S = call_signal;
using T = call_timer;
using R = call_end_reason;
constexpr auto caller = call_side::caller;
constexpr auto callee = call_side::callee;
const std::optional<call_signal> none;

// Every legal (side, phase, input). Everything not listed must fail.
const std::vector<row>& legal() {
  static const std::vector<row> rows = [] {
    std::vector<row> r = {
      {caller, P::idle, in(input::invite), P::inviting, none, T::start_ring, R::none},
      {caller, P::inviting, peer(S::alerted), P::ringing, none, T::keep, R::none},
      {caller, P::inviting, peer(S::busy), P::ended, none, T::stop, R::busy},
      {caller, P::inviting, peer(S::unreachable), P::ended, none, T::stop, R::failed},
      {caller, P::inviting, peer(S::accepted), P::connecting, none, T::start_media, R::none},
      {caller, P::inviting, peer(S::rejected), P::ended, none, T::stop, R::rejected},
      {caller, P::inviting, in(input::cancel), P::ended, S::cancelled, T::stop, R::cancelled},
      {caller, P::ringing, peer(S::unreachable), P::ended, none, T::stop, R::failed},
      {caller, P::ringing, peer(S::accepted), P::connecting, none, T::start_media, R::none},
      {caller, P::ringing, peer(S::rejected), P::ended, none, T::stop, R::rejected},
      {caller, P::ringing, in(input::cancel), P::ended, S::cancelled, T::stop, R::cancelled},
      {callee, P::idle, in(input::incoming), P::ringing, S::alerted, T::start_ring, R::none},
      {callee, P::ringing, in(input::accept), P::connecting, S::accepted, T::start_media, R::none},
      {callee, P::ringing, in(input::reject), P::ended, S::rejected, T::stop, R::rejected},
      {callee, P::ringing, peer(S::cancelled), P::ended, none, T::stop, R::cancelled},
    };
    auto both = [&](P phase, int i, P next, std::optional<S> tell, T timer, R reason) {
      for (auto side : {caller, callee})
        if (!(side == callee && phase == P::inviting))
          r.push_back({side, phase, i, next, tell, timer, reason});
    };
    for (auto ph : {P::inviting, P::ringing}) {
      both(ph, in(input::ring_timeout), P::ended, S::ring_timeout, T::stop, R::ring_timeout);
      both(ph, peer(S::ring_timeout), P::ended, none, T::stop, R::ring_timeout);
      both(ph, peer(S::dropped), P::ended, none, T::stop, R::peer_dropped);
    }
    both(P::connecting, in(input::media_ready), P::connecting, S::media_ready, T::keep, R::none);
    both(P::connecting, peer(S::media_ready), P::connecting, none, T::keep, R::none);
    both(P::connecting, in(input::media_timeout), P::ended, S::media_timeout, T::stop,
         R::media_timeout);
    both(P::connecting, peer(S::media_timeout), P::ended, none, T::stop, R::media_timeout);
    for (auto ph : {P::connecting, P::connected}) {
      both(ph, in(input::hangup), P::ended, S::hangup, T::stop, R::hangup);
      both(ph, peer(S::hangup), P::ended, none, T::stop, R::hangup);
      both(ph, peer(S::dropped), P::ended, none, T::stop, R::peer_dropped);
    }
    return r;
  }();
  return rows;
}

// Inputs that belong to one side only: the other side gets permission_denied.
bool wrong_side(call_side side, int i) {
  const std::vector<int> caller_only = {in(input::invite), in(input::cancel), peer(S::alerted),
                                        peer(S::busy), peer(S::unreachable), peer(S::accepted),
                                        peer(S::rejected)};
  const std::vector<int> callee_only = {in(input::accept), in(input::reject),
                                        in(input::incoming), peer(S::cancelled)};
  const auto& other = side == caller ? callee_only : caller_only;
  return std::find(other.begin(), other.end(), i) != other.end();
}

} // namespace

BOOST_AUTO_TEST_SUITE(call_machine_suite)

BOOST_AUTO_TEST_CASE(every_side_phase_input_combination) {
  int checked = 0;
  for (auto side : {caller, callee}) {
    for (auto phase : {P::idle, P::inviting, P::ringing, P::connecting, P::connected, P::ended}) {
      if (side == callee && phase == P::inviting)
        continue;
      for (int i = 0; i < num_inputs; ++i) {
        auto m = build(side, phase);
        const auto& rows = legal();
        auto it = std::find_if(rows.begin(), rows.end(), [&](const row& r) {
          return r.side == side && r.phase == phase && r.in == i;
        });
        auto step = feed(m, i);
        ++checked;
        BOOST_TEST_CONTEXT(to_string(side) << " in " << to_string(phase) << " input " << i) {
          if (it == rows.end()) {
            auto want = wrong_side(side, i) ? errc::permission_denied : errc::wrong_state;
            BOOST_TEST(to_string(step.error) == to_string(want));
            BOOST_TEST((step.phase == phase));
            BOOST_TEST((m.phase() == phase));
            BOOST_TEST(!step.tell_peer);
            BOOST_TEST((step.timer == T::keep));
            BOOST_TEST(!step.changed);
          } else {
            BOOST_TEST((step.error == errc::none));
            BOOST_TEST(to_string(step.phase) == to_string(it->next));
            BOOST_TEST(to_string(m.phase()) == to_string(it->next));
            BOOST_TEST((step.tell_peer == it->tell));
            BOOST_TEST(to_string(step.timer) == to_string(it->timer));
            BOOST_TEST(to_string(m.reason()) == to_string(it->reason));
            BOOST_TEST(step.changed);
          }
        }
      }
    }
  }
  BOOST_TEST(checked == 11 * num_inputs);
}

BOOST_AUTO_TEST_CASE(accept_path_to_connected) {
  call_machine a{"c", caller, "bob"};
  call_machine b{"c", callee, "alice"};
  BOOST_TEST((a.invite().timer == T::start_ring));
  auto s = b.incoming();
  BOOST_TEST((*s.tell_peer == S::alerted));
  a.on_peer(*s.tell_peer);
  BOOST_TEST((a.phase() == P::ringing));
  s = b.accept();
  a.on_peer(*s.tell_peer);
  BOOST_TEST((a.phase() == P::connecting));
  s = a.media_ready();
  BOOST_TEST((s.phase == P::connecting));
  BOOST_TEST(s.changed);
  BOOST_TEST(a.local_media_ready());
  BOOST_TEST((a.media_ready().error == errc::wrong_state)); // twice
  auto t = b.on_peer(*s.tell_peer);
  BOOST_TEST((t.phase == P::connecting));
  BOOST_TEST(b.peer_media_ready());
  t = b.media_ready();
  BOOST_TEST((t.phase == P::connected));
  BOOST_TEST((t.timer == T::stop));
  s = a.on_peer(*t.tell_peer);
  BOOST_TEST((s.phase == P::connected));
  BOOST_TEST((s.timer == T::stop));
  BOOST_TEST((a.on_peer(S::media_ready).error == errc::wrong_state));
  BOOST_TEST(a.active());
  BOOST_TEST(a.call_id() == "c");
  BOOST_TEST(a.peer() == "bob");
}

BOOST_AUTO_TEST_CASE(reject_cancel_busy_scenarios) {
  {
    call_machine a{"c", caller, "b"}, b{"c", callee, "a"};
    a.invite();
    a.on_peer(*b.incoming().tell_peer);
    auto s = b.reject();
    a.on_peer(*s.tell_peer);
    BOOST_TEST((a.reason() == R::rejected));
    BOOST_TEST((b.reason() == R::rejected));
    BOOST_TEST(!a.active());
  }
  {
    call_machine a{"c", caller, "b"}, b{"c", callee, "a"};
    a.invite();
    b.incoming();
    auto s = a.cancel();
    BOOST_TEST((s.timer == T::stop));
    b.on_peer(*s.tell_peer);
    BOOST_TEST((b.reason() == R::cancelled));
    BOOST_TEST((b.phase() == P::ended));
  }
  {
    call_machine a{"c", caller, "b"};
    a.invite();
    auto s = a.on_peer(S::busy);
    BOOST_TEST((a.reason() == R::busy));
    BOOST_TEST(!s.tell_peer);
  }
}

BOOST_AUTO_TEST_CASE(timeouts_propagate) {
  {
    call_machine a{"c", caller, "b"}, b{"c", callee, "a"};
    a.invite();
    a.on_peer(*b.incoming().tell_peer);
    auto s = b.ring_timeout();
    a.on_peer(*s.tell_peer);
    BOOST_TEST((a.reason() == R::ring_timeout));
    BOOST_TEST((b.reason() == R::ring_timeout));
  }
  {
    call_machine a{"c", caller, "b"}, b{"c", callee, "a"};
    a.invite();
    b.incoming();
    a.on_peer(*b.accept().tell_peer);
    a.media_ready();
    auto s = a.media_timeout();
    BOOST_TEST((s.timer == T::stop));
    b.on_peer(*s.tell_peer);
    BOOST_TEST((a.reason() == R::media_timeout));
    BOOST_TEST((b.reason() == R::media_timeout));
  }
}

BOOST_AUTO_TEST_CASE(hangup_by_either_side) {
  for (auto who : {caller, callee}) {
    auto a = build(caller, P::connected);
    auto b = build(callee, P::connected);
    auto& first = who == caller ? a : b;
    auto& second = who == caller ? b : a;
    auto s = first.hangup();
    BOOST_TEST((*s.tell_peer == S::hangup));
    second.on_peer(*s.tell_peer);
    BOOST_TEST((a.reason() == R::hangup));
    BOOST_TEST((b.reason() == R::hangup));
    BOOST_TEST((first.hangup().error == errc::wrong_state));
  }
}

BOOST_AUTO_TEST_CASE(peer_drop_in_each_active_phase) {
  for (auto side : {caller, callee})
    for (auto ph : {P::inviting, P::ringing, P::connecting, P::connected}) {
      if (side == callee && ph == P::inviting)
        continue;
      auto m = build(side, ph);
      auto s = m.on_peer(S::dropped);
      BOOST_TEST((s.error == errc::none));
      BOOST_TEST((m.reason() == R::peer_dropped));
      BOOST_TEST((s.timer == T::stop));
      BOOST_TEST(!s.tell_peer);
    }
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(std::string{to_string(P::connecting)} == "connecting");
  BOOST_TEST(std::string{to_string(R::peer_dropped)} == "peer_dropped");
  BOOST_TEST(std::string{to_string(S::media_timeout)} == "media_timeout");
  BOOST_TEST(std::string{to_string(T::start_media)} == "start_media");
  BOOST_TEST(std::string{to_string(callee)} == "callee");
}

BOOST_AUTO_TEST_CASE(end_reason_of_every_signal) {
  // The one mapping the call machine and the classroom share.
  BOOST_TEST((end_reason(S::alerted) == R::none));
  BOOST_TEST((end_reason(S::accepted) == R::none));
  BOOST_TEST((end_reason(S::media_ready) == R::none));
  BOOST_TEST((end_reason(S::busy) == R::busy));
  BOOST_TEST((end_reason(S::unreachable) == R::failed));
  BOOST_TEST((end_reason(S::rejected) == R::rejected));
  BOOST_TEST((end_reason(S::cancelled) == R::cancelled));
  BOOST_TEST((end_reason(S::hangup) == R::hangup));
  BOOST_TEST((end_reason(S::ring_timeout) == R::ring_timeout));
  BOOST_TEST((end_reason(S::media_timeout) == R::media_timeout));
  BOOST_TEST((end_reason(S::dropped) == R::peer_dropped));
}

BOOST_AUTO_TEST_SUITE_END()
