#pragma once

// A deterministic actor system (CAF's testing scheduler: no threads, time
// advanced by hand) with a node's directory on a temporary data directory,
// and fake WebSocket clients that speak to gateway sessions exactly as the
// node's WebSocket server does.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/base/errors.hpp"
#include "actors/node/directory_actor.hpp"
#include "actors/node/gateway_session.hpp"
#include "actors/system_setup.hpp"
#include "actors/type_ids.hpp"
#include "protocol/codec.hpp"
#include "protocol/token.hpp"
#include "tests/support/temp_dir.hpp"

namespace lamplight::test {

namespace sig = lamplight::signal::v1;
namespace protocol = lamplight::protocol;
namespace actors = lamplight::actors;
namespace storage = lamplight::storage;
namespace atoms = lamplight::atoms;
using protocol::errc;
using protocol::wire_format;

inline constexpr std::string_view test_secret = "unit-test-secret-0123456789abcdef";

/// The socket side of a fake client: records frames, as decoded messages.
struct recording_link : actors::client_link {
  std::vector<sig::ServerMessage> received;
  std::vector<wire_format> formats;
  bool closed = false;
  void send(std::string frame, wire_format fmt) override {
    auto msg = protocol::decode_server(frame, fmt, protocol::codec_limits{1 << 24});
    BOOST_REQUIRE_MESSAGE(bool(msg), "the node sent an undecodable frame");
    received.push_back(*msg);
    formats.push_back(fmt);
  }
  void close(std::string) override { closed = true; }
};

struct client {
  std::shared_ptr<recording_link> link = std::make_shared<recording_link>();
  actors::gateway_session_actor session;
  wire_format fmt = wire_format::json;
  uint64_t next_request = 1;

  /// The reply to request `rid`, if it came.
  std::optional<sig::ServerMessage> reply(uint64_t rid) const {
    for (auto& m : link->received)
      if (m.request_id() == rid)
        return m;
    return std::nullopt;
  }
  /// Pushes (request_id 0) received so far of body `kind`.
  std::vector<sig::ServerMessage> pushes(sig::ServerMessage::BodyCase kind) const {
    std::vector<sig::ServerMessage> out;
    for (auto& m : link->received)
      if (m.request_id() == 0 && m.body_case() == kind)
        out.push_back(m);
    return out;
  }
  /// Events pushed so far of kind `kind`.
  std::vector<sig::ClassroomEvent> events(sig::ClassroomEvent::KindCase kind) const {
    std::vector<sig::ClassroomEvent> out;
    for (auto& m : pushes(sig::ServerMessage::kEvent))
      if (m.event().kind_case() == kind)
        out.push_back(m.event());
    return out;
  }
  std::vector<sig::CallUpdate> call_updates() const {
    std::vector<sig::CallUpdate> out;
    for (auto& m : pushes(sig::ServerMessage::kCallUpdate))
      out.push_back(m.call_update());
    return out;
  }
};

struct actor_fixture {
  temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  actors::participant_timeouts timeouts;
  /// The tenants' history, if a test wants one (set it, then restart the
  /// directory).
  std::shared_ptr<backend::history_writer> history;
  actors::directory_actor directory;
  std::vector<std::unique_ptr<client>> clients;

  static caf::actor_system_config& prepare(caf::actor_system_config& c) {
    actors::add_lamplight_types(c);
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.inline-output", true);
    return c;
  }

  actor_fixture()
    : sys(prepare(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    start_directory();
  }

  ~actor_fixture() {
    for (auto& c : clients)
      caf::anon_send_exit(c->session, caf::exit_reason::kill);
    stop_directory();
  }

  actors::directory_config directory_cfg() {
    actors::directory_config d;
    d.data_dir = dir.path;
    d.token_secret = std::string(test_secret);
    d.timeouts = timeouts;
    d.absent_grace = std::chrono::seconds(30);
    d.history = history;
    return d;
  }

  void start_directory() {
    auto d = actors::spawn_directory(sys, directory_cfg());
    BOOST_REQUIRE(bool(d));
    directory = *d;
    run();
  }

  /// Graceful node shutdown: flush journals, stop every actor.
  void stop_directory() {
    if (!directory)
      return;
    caf::anon_send(directory, atoms::shutdown::value);
    run();
    caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    run();
    directory = nullptr;
  }

  /// Runs every message that is due, without advancing time.
  void run() { sched.run(); }

  /// Advances the clock (firing the timers due) and runs what follows.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    run();
  }

  static int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  }

  static protocol::token_claims claims(std::string identity, sig::Role role,
                                       std::string classroom = "room-1",
                                       std::string tenant = "acme") {
    protocol::token_claims c;
    c.tenant = std::move(tenant);
    c.classroom = std::move(classroom);
    c.identity = identity;
    c.display_name = identity;
    c.role = role;
    c.expires_at = now_s() + 3600;
    return c;
  }

  static std::string token(const protocol::token_claims& c) {
    return protocol::sign_token(c, test_secret);
  }

  client& connect(wire_format fmt = wire_format::json) {
    auto c = std::make_unique<client>();
    c->fmt = fmt;
    actors::gateway_config g;
    g.token_secret = std::string(test_secret);
    g.directory = directory;
    g.timeouts = timeouts;
    c->session = actors::spawn_gateway_session(sys, c->link, g);
    clients.push_back(std::move(c));
    return *clients.back();
  }

  /// Sends a frame as the WebSocket server would.
  void send_frame(client& c, std::string frame, wire_format fmt) {
    caf::anon_send(c.session, atoms::frame::value, std::move(frame), fmt);
    run();
  }

  /// Sends `m` (its request_id set here) and returns the reply.
  sig::ServerMessage request(client& c, sig::ClientMessage m) {
    auto rid = c.next_request++;
    m.set_request_id(rid);
    send_frame(c, protocol::encode_client(m, c.fmt), c.fmt);
    auto r = c.reply(rid);
    BOOST_REQUIRE_MESSAGE(bool(r), "no reply to request " << rid);
    return *r;
  }

  /// Connects and joins with `who`'s token; requires success.
  client& join(const protocol::token_claims& who, wire_format fmt = wire_format::json) {
    auto& c = connect(fmt);
    sig::ClientMessage m;
    m.mutable_join()->set_token(token(who));
    auto r = request(c, m);
    BOOST_REQUIRE_MESSAGE(r.has_joined(), who.identity << " could not join: "
                                                       << r.error().message());
    return c;
  }

  static errc code_of(const sig::ServerMessage& m) {
    return m.has_error() ? protocol::from_proto(m.error().code()) : errc::none;
  }

  void disconnect(client& c) {
    caf::anon_send(c.session, atoms::closed::value);
    run();
  }

  actors::classroom_actor classroom(const std::string& id, const std::string& tenant = "acme") {
    std::optional<actors::classroom_actor> out;
    caf::scoped_actor self{sys};
    auto req = self->request(directory, caf::infinite, atoms::lookup::value, tenant, id);
    run();
    req.receive([&](const actors::classroom_actor& c) { out = c; },
                [&](caf::error&) {});
    BOOST_REQUIRE(out.has_value());
    return *out;
  }

  sig::ClassroomSnapshot snapshot(const std::string& id, const std::string& viewer = "",
                                  const std::string& tenant = "acme") {
    auto c = classroom(id, tenant);
    sig::ClassroomSnapshot out;
    caf::scoped_actor self{sys};
    auto req = self->request(c, caf::infinite, caf::get_atom::value, viewer);
    run();
    req.receive([&](const sig::ClassroomSnapshot& s) { out = s; },
                [&](caf::error& e) { BOOST_FAIL(caf::to_string(e)); });
    return out;
  }
};

// -- message builders ----------------------------------------------------------

inline sig::ClientMessage invite(const std::string& callee) {
  sig::ClientMessage m;
  m.mutable_call_invite()->set_callee(callee);
  return m;
}

template <class Setter>
sig::ClientMessage with_call(const std::string& call_id, Setter set) {
  sig::ClientMessage m;
  set(m)->set_call_id(call_id);
  return m;
}

inline sig::ClientMessage accept_call(const std::string& id) {
  return with_call(id, [](auto& m) { return m.mutable_call_accept(); });
}
inline sig::ClientMessage reject_call(const std::string& id) {
  return with_call(id, [](auto& m) { return m.mutable_call_reject(); });
}
inline sig::ClientMessage cancel_call(const std::string& id) {
  return with_call(id, [](auto& m) { return m.mutable_call_cancel(); });
}
inline sig::ClientMessage hangup_call(const std::string& id) {
  return with_call(id, [](auto& m) { return m.mutable_call_hangup(); });
}
inline sig::ClientMessage media_ready(const std::string& id) {
  return with_call(id, [](auto& m) { return m.mutable_call_media_ready(); });
}

/// A Publish of a session without media: each (mid, source) a section.
inline sig::ClientMessage publish(std::vector<std::pair<std::string, sig::TrackSource>> sections) {
  sig::ClientMessage m;
  auto* p = m.mutable_publish();
  for (const auto& [mid, source] : sections) {
    auto* t = p->add_tracks();
    t->set_mid(mid);
    t->set_source(source);
    t->set_kind(source == sig::TRACK_SOURCE_MICROPHONE ? sig::TRACK_KIND_AUDIO : sig::TRACK_KIND_VIDEO);
  }
  return m;
}

/// The track a Published names for section `mid` ("" if none).
inline std::string track_of(const sig::ServerMessage& r, const std::string& mid) {
  for (const auto& t : r.published().tracks())
    if (t.mid() == mid)
      return t.track_id();
  return "";
}

inline sig::ClientMessage raise_hand() {
  sig::ClientMessage m;
  m.mutable_raise_hand();
  return m;
}

inline sig::ClientMessage switch_camera(const std::string& target, sig::Camera cam,
                                        uint32_t deadline_ms = 0) {
  sig::ClientMessage m;
  m.mutable_device_command()->set_target(target);
  m.mutable_device_command()->set_deadline_ms(deadline_ms);
  m.mutable_device_command()->mutable_switch_camera()->set_camera(cam);
  return m;
}

inline sig::ClientMessage device_ack(const std::string& id, sig::DeviceAckKind kind,
                                     const std::string& detail = "") {
  sig::ClientMessage m;
  m.mutable_device_ack()->set_command_id(id);
  m.mutable_device_ack()->set_kind(kind);
  m.mutable_device_ack()->set_detail(detail);
  return m;
}

inline sig::ClientMessage stroke(const std::string& id, std::vector<float> pts) {
  sig::ClientMessage m;
  auto* s = m.mutable_whiteboard()->mutable_stroke();
  s->set_stroke_id(id);
  s->set_color("#112233");
  s->set_width(0.01f);
  for (float p : pts)
    s->add_points(p);
  return m;
}

} // namespace lamplight::test
