#include "actors/node/gateway_session.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/clock.hpp"
#include "actors/base/errors.hpp"
#include "actors/classroom/participant_actor.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;
using protocol::wire_format;

constexpr auto join_timeout = std::chrono::seconds(10);
constexpr auto request_timeout = std::chrono::seconds(15);

struct gateway_state {
  std::shared_ptr<client_link> link;
  gateway_config cfg;
  wire_format fmt = wire_format::json;  // of the client's last frame
  participant_actor participant;
  bool joining = false;
  static inline const char* name = "lamplight.gateway_session";
};

using self_ptr = gateway_session_actor::stateful_pointer<gateway_state>;

void send_out(self_ptr self, const signal::ServerMessage& msg) {
  auto& st = self->state;
  st.link->send(protocol::encode_server(msg, st.fmt), st.fmt);
}

/// The answer to one of the client's frames. An Error is also tallied at
/// the directory (lamplight_requests_failed_total): every WebSocket
/// client's failed requests pass here, whoever produced the error. Pushes
/// and kicks are not answers and go through send_out alone.
void reply(self_ptr self, const signal::ServerMessage& msg) {
  auto& st = self->state;
  if (msg.has_error() && st.cfg.directory)
    self->send(st.cfg.directory, atoms::tally::value, protocol::from_proto(msg.error().code()));
  send_out(self, msg);
}

void send_error(self_ptr self, uint64_t rid, errc code, std::string message) {
  reply(self, protocol::make_error(rid, code, std::move(message)));
}

void send_error(self_ptr self, uint64_t rid, const caf::error& err) {
  reply(self, protocol::make_error(rid, to_protocol_error(err)));
}

void join(self_ptr self, uint64_t rid, const signal::Join& j) {
  auto& st = self->state;
  if (st.joining)
    return send_error(self, rid, errc::wrong_state, "a join is in progress");
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  // A registered lamp signs in as itself; everyone else with a join token.
  auto claims = j.has_device()
                  ? protocol::verify_device_login(j.device(), st.cfg.devices, now)
                  : protocol::verify_join_token(j.token(), st.cfg.token_secret, st.cfg.keys, now);
  if (!claims)
    return send_error(self, rid, claims.err().code, claims.err().message);
  if (st.cfg.admit)
    if (auto err = st.cfg.admit(*claims); err.code != errc::none)
      return send_error(self, rid, err.code, err.message);
  if (claims->display_name.empty())
    claims->display_name = j.display_name().substr(0, 64);
  st.joining = true;
  auto failed = [=](caf::error& err) {
    self->state.joining = false;
    send_error(self, rid, err);
  };
  auto dir = st.cfg.directory;
  auto who = *claims;
  self->request(dir, join_timeout, atoms::open::value, who)
    .then(
      [=](const classroom_actor& classroom) {
        self->request(dir, join_timeout, atoms::dispatch::value, who.tenant)
          .then(
            [=](const dispatcher_actor& dispatcher) {
              auto p = spawn_participant(
                self->system(), {who, classroom, dispatcher, self->state.cfg.timeouts, dir});
              self->request(p, join_timeout, atoms::attach::value, session_actor{self})
                .then(
                  [=](const signal::Joined& joined) {
                    auto& s = self->state;
                    s.joining = false;
                    // The seat may be held by an earlier participant (a
                    // reconnect): the answer then comes from that one, to
                    // which the new participant delegated the attach
                    // (CAF answers a delegated request from the delegate).
                    auto holder = caf::actor_cast<participant_actor>(self->current_sender());
                    s.participant = holder ? holder : p;
                    self->monitor(s.participant);
                    signal::ServerMessage out;
                    out.set_request_id(rid);
                    *out.mutable_joined() = joined;
                    send_out(self, out);
                  },
                  failed);
            },
            failed);
      },
      failed);
}

void on_frame(self_ptr self, const std::string& data, wire_format fmt) {
  using M = signal::ClientMessage;
  auto& st = self->state;
  st.fmt = fmt;
  auto msg = protocol::decode_client(data, fmt, st.cfg.limits);
  if (!msg)
    return send_error(self, protocol::peek_request_id(data, fmt), msg.err().code,
                      msg.err().message);
  auto rid = msg->request_id();
  if (msg->body_case() == M::kPing)
    return send_out(self, protocol::make_pong(rid, msg->ping().client_time_ms(), wall_ms()));
  if (!st.participant) {
    if (msg->body_case() == M::kJoin)
      return join(self, rid, msg->join());
    return send_error(self, rid, errc::not_joined, "join first");
  }
  if (msg->body_case() == M::kJoin)
    return send_error(self, rid, errc::already_joined, "already joined");
  self->request(st.participant, request_timeout, atoms::client::value, *msg)
    .then([=](const signal::ServerMessage& answer) { reply(self, answer); },
          [=](caf::error& err) { send_error(self, rid, err); });
}

gateway_session_actor::behavior_type gateway_impl(self_ptr self,
                                                  std::shared_ptr<client_link> link,
                                                  gateway_config cfg) {
  self->state.link = std::move(link);
  self->state.cfg = std::move(cfg);
  self->delayed_send(self, self->state.cfg.join_timeout, atoms::timeout::value,
                     timer_kind::join_deadline, std::string{}, uint64_t{0});
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source != caf::actor_cast<caf::actor_addr>(self->state.participant))
      return;
    // The seat is gone (left, closed, node lost): nothing more to serve.
    self->state.participant = nullptr;
    self->state.link->close("session ended");
    self->quit();
  });
  return {
    [=](atoms::push, const signal::ServerMessage& msg) { send_out(self, msg); },
    [=](atoms::kick, const signal::Error& why) {
      signal::ServerMessage out;
      *out.mutable_error() = why;
      send_out(self, out);
      self->state.participant = nullptr;
      self->state.link->close(why.message());
      self->quit();
    },
    [=](atoms::frame, const std::string& data, wire_format fmt) { on_frame(self, data, fmt); },
    [=](atoms::timeout, timer_kind kind, const std::string&, uint64_t) {
      auto& st = self->state;
      if (kind != timer_kind::join_deadline || st.participant || st.joining
          || self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(self))
        return;
      send_error(self, 0, errc::unauthenticated, "no join in time");
      st.link->close("no join in time");
      self->quit();
    },
    [=](atoms::closed) {
      auto& st = self->state;
      if (st.participant)
        self->send(st.participant, atoms::detach::value, session_actor{self});
      self->quit();
    },
  };
}

} // namespace

gateway_session_actor spawn_gateway_session(caf::actor_system& sys,
                                            std::shared_ptr<client_link> link,
                                            gateway_config cfg) {
  return sys.spawn(gateway_impl, std::move(link), std::move(cfg));
}

} // namespace lamplight::actors
