#include "actors/classroom_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/errors.hpp"
#include "actors/track_actor.hpp"
#include "actors/classroom_state.hpp"
#include "protocol/classroom_model.hpp"
#include "protocol/whiteboard.hpp"
#include "protocol/device_command.hpp"
#include "protocol/permissions.hpp"
#include "actors/photo_receiver.hpp"

namespace lamplight::actors {

namespace {

using namespace classroom_detail;

/// How long the media room may take to negotiate: Janus waits for a
/// publisher's PeerConnection before it takes a subscription.
constexpr auto rtc_timeout = std::chrono::seconds(15);

/// Tells the media room where the member's participant runs: its media is
/// best placed near it.
void place_media(self_ptr self, const std::string& identity, const participant_actor& p) {
  if (self->state.rtc)
    self->send(self->state.rtc, atoms::place::value, identity, caf::to_string(p.node()));
}

/// Closes a track: its actor, its record, its media.
void end_track(self_ptr self, const std::string& track_id) {
  auto& s = self->state;
  if (auto i = s.tracks.find(track_id); i != s.tracks.end()) {
    caf::anon_send(i->second, atoms::close::value);
    s.tracks.erase(i);
  }
  if (s.rtc)
    caf::anon_send(s.rtc, atoms::unpublish::value, track_id);
}

/// The control side of a publish, once its media (if any) is negotiated.
caf::error finish_publish(self_ptr self, const signal::TrackInfo& info) {
  auto& s = self->state;
  for (const auto& t : s.model.snapshot().tracks())
    if (t.owner() == info.owner() && t.source() == info.source())
      return make_error(errc::already_exists, "that source is already published");
  signal::ClassroomEvent ev;
  *ev.mutable_track_published()->mutable_track() = info;
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  s.tracks.emplace(info.track_id(), spawn_track(self->system(), info));
  return {};
}

/// Registers the subscriber with the track actor, once its media (if any)
/// is negotiated, and answers the client.
void subscribe_track(self_ptr self, track_actor track, const std::string& who,
                     signal::Layer layer, const signal::Subscribed& out,
                     caf::typed_response_promise<signal::Subscribed> rp) {
  self->request(track, peer_timeout, atoms::subscribe::value, who, layer)
    .then([=](caf::ok_atom) mutable { rp.deliver(out); },
          [=](caf::error& err) mutable {
            // Already subscribed: keep the new media leg, it replaced the
            // old one; anything else undoes it.
            if (to_protocol_error(err).code == errc::already_exists && !out.sdp().empty()) {
              rp.deliver(out);
              return;
            }
            if (!out.sdp().empty() && self->state.rtc)
              caf::anon_send(self->state.rtc, atoms::unsub::value, out.track_id(), who);
            rp.deliver(err);
          });
}

classroom_actor::behavior_type classroom_impl(self_ptr self,
                                              std::shared_ptr<classroom_init> init) {
  auto& st = self->state;
  st.cfg = std::move(init->cfg);
  st.tally = std::move(init->tally);
  auto provider = st.cfg.rtc.default_kind;
  if (!st.cfg.spec.provider.empty())
    from_string(st.cfg.spec.provider, provider);  // checked by spawn_classroom
  rtc_room_spec rs{st.cfg.spec.tenant, st.cfg.spec.classroom_id, st.cfg.photos, {}};
  rs.on_media_lost = [me = caf::actor_cast<classroom_actor>(self)](
                       const rtc_room_actor& room, std::vector<std::string> members,
                       std::vector<std::string> tracks) {
    caf::send_as(room, me, atoms::resync::value, std::move(members), std::move(tracks));
  };
  auto room = spawn_rtc_room(self->system(), st.cfg.rtc, provider, std::move(rs));
  if (room) {
    st.rtc = *room;
    // The room holds media resources (ports, Janus handles) for this
    // classroom only.
    self->attach_functor([rtc = st.rtc] { caf::anon_send(rtc, atoms::close::value); });
  } else {
    st.rtc_down = to_protocol_error(room.error()).message;
  }
  st.model = std::move(init->model);
  st.journal = std::move(init->journal);
  if (init->rebuilt)
    settle_after_rebuild(self);
  st.journal.sync();
  replicate(self, false);  // what was written before the actor ran
  arm_flush_timer(self);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    for (auto& [identity, p] : s.participants)
      if (dm.source == caf::actor_cast<caf::actor_addr>(p)) {
        auto who = identity;  // remove_member erases the map entry
        if (dm.reason == caf::exit_reason::remote_link_unreachable) {
          // Its gateway died, not the member: the client reconnects through
          // another and finds its seat (and calls) kept for the grace.
          s.participants.erase(who);
          mark_absent(self, who);
          return;
        }
        remove_member(self, who, "participant ended");
        return;
      }
    s.watchers.erase(std::remove_if(s.watchers.begin(), s.watchers.end(),
                                    [&](const session_actor& w) {
                                      return dm.source == caf::actor_cast<caf::actor_addr>(w);
                                    }),
                     s.watchers.end());
  });
  return {
    // -- membership ------------------------------------------------------------
    [=](atoms::join, const protocol::token_claims& who, participant_actor p)
      -> caf::result<signal::ClassroomSnapshot, participant_actor> {
      auto& s = self->state;
      if (s.model.closed())
        return make_error(errc::wrong_state, "classroom is closed");
      if (who.tenant != s.model.snapshot().tenant())
        return make_error(errc::tenant_mismatch, "token is for another tenant");
      if (who.classroom != s.model.snapshot().classroom_id())
        return make_error(errc::bad_request, "token is for another classroom");
      if (!p)
        return make_error(errc::bad_request, "no participant");
      if (auto* m = s.model.member(who.identity)) {
        if (m->role() != who.role)
          return make_error(errc::permission_denied,
                            who.identity + " is a member with another role");
        auto i = s.participants.find(who.identity);
        if (i != s.participants.end())
          return caf::make_result(s.model.snapshot_for(who.identity), i->second);
        s.participants.emplace(who.identity, p);
        s.absent_timers.erase(who.identity);
        self->monitor(p);
        set_presence(self, who.identity, true);
        place_media(self, who.identity, p);
        return caf::make_result(s.model.snapshot_for(who.identity), p);
      }
      if (auto err = protocol::check_capacity(s.model.snapshot(), who.role, who.identity);
          err.code != errc::none)
        return to_caf(err);
      signal::ClassroomEvent ev;
      auto* m = ev.mutable_member_joined()->mutable_member();
      m->set_identity(who.identity);
      m->set_display_name(who.display_name.empty() ? who.identity : who.display_name);
      m->set_role(who.role);
      m->set_presence(signal::PRESENCE_ONLINE);
      m->set_child(who.child);
      if (who.role == signal::ROLE_STUDENT) {
        // A lamp starts on its face camera, showing the teacher's video.
        m->set_camera(signal::CAMERA_FACE);
        m->set_screen(signal::SCREEN_VIDEO);
      }
      if (auto err = commit(self, std::move(ev)); err.code != errc::none)
        return to_caf(err);
      s.participants.emplace(who.identity, p);
      self->monitor(p);
      place_media(self, who.identity, p);
      return caf::make_result(s.model.snapshot_for(who.identity), p);
    },
    [=](atoms::leave, const std::string& identity,
        const std::string& reason) -> caf::result<caf::ok_atom> {
      if (!from_member(self, identity))
        return make_error(errc::permission_denied, "only a member's participant leaves");
      remove_member(self, identity, reason);
      return caf::ok_atom::value;
    },
    [=](atoms::presence, const std::string& identity, bool online) {
      if (from_member(self, identity))
        set_presence(self, identity, online);
    },

    // -- hands -----------------------------------------------------------------
    [=](atoms::command, const std::string& who,
        const signal::RaiseHand&) -> caf::result<caf::ok_atom> {
      if (auto err = check_sender(self, who, action::raise_hand))
        return err;
      if (self->state.model.hands().raised(who))
        return make_error(errc::wrong_state, "hand already raised");
      signal::ClassroomEvent ev;
      ev.mutable_hand_raised()->set_identity(who);
      if (auto err = commit(self, std::move(ev)); err.code != errc::none)
        return to_caf(err);
      return caf::ok_atom::value;
    },
    [=](atoms::command, const std::string& who,
        const signal::LowerHand&) -> caf::result<caf::ok_atom> {
      if (auto err = check_sender(self, who, action::raise_hand))
        return err;
      if (!self->state.model.hands().raised(who))
        return make_error(errc::wrong_state, "hand not raised");
      signal::ClassroomEvent ev;
      ev.mutable_hand_lowered()->set_identity(who);
      ev.mutable_hand_lowered()->set_outcome(signal::HAND_OUTCOME_LOWERED);
      ev.mutable_hand_lowered()->set_by(who);
      if (auto err = commit(self, std::move(ev)); err.code != errc::none)
        return to_caf(err);
      return caf::ok_atom::value;
    },
    [=](atoms::command, const std::string& who,
        const signal::AcceptHand& x) -> caf::result<caf::ok_atom> {
      return take_hand(self, who, x.student(), signal::HAND_OUTCOME_ACCEPTED);
    },
    [=](atoms::command, const std::string& who,
        const signal::DismissHand& x) -> caf::result<caf::ok_atom> {
      return take_hand(self, who, x.student(), signal::HAND_OUTCOME_DISMISSED);
    },

    // -- calls -----------------------------------------------------------------
    [=](atoms::invite, const std::string& call_id, const std::string& caller,
        const std::string& callee) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (auto err = check_sender(self, caller, action::call))
        return err;
      auto* target = s.model.member(callee);
      if (!target)
        return make_error(errc::not_found, "no member " + callee);
      if (callee == caller)
        return make_error(errc::bad_request, "cannot call oneself");
      if (!protocol::allowed(target->role(), action::answer_call))
        return make_error(errc::permission_denied,
                          std::string("a ") + protocol::role_name(target->role())
                            + " cannot be called");
      if (call_id.empty() || s.calls.count(call_id))
        return make_error(errc::already_exists, "call id in use");
      for (auto& [id, c] : s.calls) {
        if (c.caller == caller || c.callee == caller)
          return make_error(errc::wrong_state, caller + " is already in a call");
        if (c.caller == callee || c.callee == callee) {
          // The caller's call ends busy: an outcome, not only an error.
          count_call(self, call_outcome::busy);
          return make_error(errc::busy, callee + " is busy");
        }
      }
      auto p = s.participants.find(callee);
      if (p == s.participants.end() || target->presence() != signal::PRESENCE_ONLINE) {
        count_call(self, call_outcome::failed);
        return make_error(errc::unavailable, callee + " is not connected");
      }
      s.calls[call_id] = call_record{caller, callee};
      auto caller_name = s.model.member(caller)->display_name();
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->request(p->second, peer_timeout, atoms::ring::value, call_id, caller, caller_name)
        .then(
          [=](caf::ok_atom) mutable {
            record_call(self, call_id, signal::CALL_PHASE_RINGING);
            rp.deliver(caf::ok_atom::value);
          },
          [=](caf::error& err) mutable {
            // Never rang: busy if the callee said so, else it was unreachable
            // (the caller's call ends the same way).
            if (self->state.calls.erase(call_id) != 0)
              count_call(self, to_protocol_error(err).code == errc::busy ? call_outcome::busy
                                                                         : call_outcome::failed);
            rp.deliver(err);
          });
      return rp;
    },
    [=](atoms::call, const std::string& call_id, const std::string& sender,
        call_signal sig) {
      auto& s = self->state;
      auto i = s.calls.find(call_id);
      if (i == s.calls.end() || !from_member(self, sender))
        return;
      auto& c = i->second;
      if (sender != c.caller && sender != c.callee)
        return;
      auto other = sender == c.caller ? c.callee : c.caller;
      if (auto p = s.participants.find(other); p != s.participants.end())
        self->send(p->second, atoms::call::value, call_id, sig);
      switch (sig) {
        case call_signal::accepted:
          record_call(self, call_id, signal::CALL_PHASE_CONNECTING);
          break;
        case call_signal::media_ready:
          (sender == c.caller ? c.caller_ready : c.callee_ready) = true;
          if (c.caller_ready && c.callee_ready)
            record_call(self, call_id, signal::CALL_PHASE_CONNECTED);
          break;
        case call_signal::rejected:
          record_call(self, call_id, signal::CALL_PHASE_ENDED, signal::CALL_END_REJECTED);
          break;
        case call_signal::cancelled:
          record_call(self, call_id, signal::CALL_PHASE_ENDED, signal::CALL_END_CANCELLED);
          break;
        case call_signal::hangup:
          record_call(self, call_id, signal::CALL_PHASE_ENDED, signal::CALL_END_HANGUP);
          break;
        case call_signal::ring_timeout:
          record_call(self, call_id, signal::CALL_PHASE_ENDED, signal::CALL_END_RING_TIMEOUT);
          break;
        case call_signal::media_timeout:
          record_call(self, call_id, signal::CALL_PHASE_ENDED, signal::CALL_END_MEDIA_TIMEOUT);
          break;
        case call_signal::busy:
          record_call(self, call_id, signal::CALL_PHASE_ENDED, signal::CALL_END_BUSY);
          break;
        case call_signal::alerted:
        case call_signal::unreachable:
        case call_signal::dropped:
          break;
      }
    },

    // -- device control ----------------------------------------------------------
    [=](atoms::command, const std::string& who,
        const signal::DeviceCommand& cmd) -> caf::result<std::string> {
      auto& s = self->state;
      if (auto err = check_sender(self, who, action::control_device))
        return err;
      if (auto err = protocol::validate(cmd); err.code != errc::none)
        return to_caf(err);
      auto* target = s.model.member(cmd.target());
      if (!target)
        return make_error(errc::not_found, "no member " + cmd.target());
      if (!protocol::allowed(target->role(), action::ack_device))
        return make_error(errc::bad_request, cmd.target() + " has no lamp to control");
      auto p = s.participants.find(cmd.target());
      if (p == s.participants.end() || target->presence() != signal::PRESENCE_ONLINE)
        return make_error(errc::unavailable, cmd.target() + " is not connected");
      auto deadline = cmd.deadline_ms() != 0
                        ? std::chrono::milliseconds(std::min<uint32_t>(cmd.deadline_ms(), 120000))
                        : std::chrono::duration_cast<std::chrono::milliseconds>(
                          s.cfg.device_deadline);
      signal::DeviceRequest req;
      req.set_command_id(next_id(self, "cmd"));
      req.set_from(who);
      req.set_deadline_ms(deadline.count());
      switch (cmd.action_case()) {
        case signal::DeviceCommand::kCapturePhoto:
          *req.mutable_capture_photo() = cmd.capture_photo();
          break;
        case signal::DeviceCommand::kSwitchCamera:
          *req.mutable_switch_camera() = cmd.switch_camera();
          break;
        case signal::DeviceCommand::kSwitchScreen:
          *req.mutable_switch_screen() = cmd.switch_screen();
          break;
        case signal::DeviceCommand::ACTION_NOT_SET:
          break;
      }
      auto id = req.command_id();
      s.commands[id] = pending_command{who, cmd.target(), req};
      auto rp = self->make_response_promise<std::string>();
      self->request(p->second, peer_timeout, atoms::device::value, req)
        .then([=](caf::ok_atom) mutable { rp.deliver(id); },
              [=](caf::error& err) mutable {
                self->state.commands.erase(id);
                rp.deliver(err);
              });
      return rp;
    },
    [=](atoms::outcome, const signal::DeviceOutcome& o) {
      auto& s = self->state;
      auto i = s.commands.find(o.command_id());
      if (i == s.commands.end() || !from_member(self, i->second.target))
        return;
      auto cmd = i->second;
      auto out = o;
      if (o.state() == signal::DEVICE_STATE_DONE && cmd.request.has_capture_photo())
        out = photo_outcome(self, cmd, o);
      if (auto p = s.participants.find(cmd.requester); p != s.participants.end())
        self->send(p->second, atoms::outcome::value, out);
      if (out.state() == signal::DEVICE_STATE_DONE) {
        signal::ClassroomEvent ev;
        auto* d = ev.mutable_device();
        d->set_identity(cmd.target);
        if (cmd.request.has_switch_camera())
          d->set_camera(cmd.request.switch_camera().camera());
        if (cmd.request.has_switch_screen())
          d->set_screen(cmd.request.switch_screen().screen());
        if (d->camera() != signal::CAMERA_UNSPECIFIED || d->screen() != signal::SCREEN_UNSPECIFIED)
          commit(self, std::move(ev));
      }
      if (out.state() != signal::DEVICE_STATE_SENT && out.state() != signal::DEVICE_STATE_ACKED)
        s.commands.erase(o.command_id());
    },

    // -- whiteboard --------------------------------------------------------------
    [=](atoms::command, const std::string& who,
        signal::WhiteboardOp op) -> caf::result<uint64_t> {
      if (auto err = check_sender(self, who, action::whiteboard_write))
        return err;
      op.set_author(who);
      if (auto err = protocol::validate(self->state.model, op); err.code != errc::none)
        return to_caf(err);
      signal::ClassroomEvent ev;
      *ev.mutable_whiteboard() = std::move(op);
      if (auto err = commit(self, std::move(ev)); err.code != errc::none)
        return to_caf(err);
      return self->state.model.seq();
    },

    // -- stream control ----------------------------------------------------------
    [=](atoms::command, const std::string& who,
        const signal::Publish& x) -> caf::result<signal::Published> {
      auto& s = self->state;
      if (auto err = check_sender(self, who, action::publish))
        return err;
      if (x.kind() == signal::TRACK_KIND_UNSPECIFIED
          || x.source() == signal::TRACK_SOURCE_UNSPECIFIED)
        return make_error(errc::bad_request, "publish needs a kind and a source");
      for (const auto& t : s.model.snapshot().tracks())
        if (t.owner() == who && t.source() == x.source())
          return make_error(errc::already_exists, "that source is already published");
      signal::TrackInfo info;
      info.set_track_id(who + "/" + next_id(self, "t"));
      info.set_owner(who);
      info.set_kind(x.kind());
      info.set_source(x.source());
      info.set_simulcast(x.simulcast());
      signal::Published out;
      out.set_track_id(info.track_id());
      if (x.sdp().empty()) {
        if (auto err = finish_publish(self, info))
          return err;
        return out;
      }
      // Negotiate first: a refused offer publishes nothing.
      if (!s.rtc)
        return make_error(errc::unavailable, "no media here: " + s.rtc_down);
      auto rp = self->make_response_promise<signal::Published>();
      self->request(s.rtc, rtc_timeout, atoms::publish::value, info.track_id(), who, x.sdp())
        .then(
          [=](std::string& answer) mutable {
            out.set_sdp(std::move(answer));
            // The member may have left, or published that source, meanwhile.
            auto err = self->state.participants.count(who)
                         ? finish_publish(self, info)
                         : make_error(errc::wrong_state, who + " left");
            if (err) {
              caf::anon_send(self->state.rtc, atoms::unpublish::value, info.track_id());
              rp.deliver(std::move(err));
              return;
            }
            rp.deliver(out);
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](atoms::command, const std::string& who,
        const signal::Unpublish& x) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (auto err = check_sender(self, who, action::publish))
        return err;
      auto* t = s.model.track(x.track_id());
      if (!t)
        return make_error(errc::not_found, "no track " + x.track_id());
      auto role = s.model.member(who)->role();
      if (t->owner() != who && role != signal::ROLE_TEACHER && role != signal::ROLE_ASSISTANT)
        return make_error(errc::permission_denied, "not your track");
      signal::ClassroomEvent ev;
      ev.mutable_track_unpublished()->set_track_id(x.track_id());
      if (auto err = commit(self, std::move(ev)); err.code != errc::none)
        return to_caf(err);
      end_track(self, x.track_id());
      return caf::ok_atom::value;
    },
    [=](atoms::command, const std::string& who,
        const signal::Subscribe& x) -> caf::result<signal::Subscribed> {
      auto& s = self->state;
      if (auto err = check_sender(self, who, action::subscribe))
        return err;
      auto* t = s.model.track(x.track_id());
      auto i = s.tracks.find(x.track_id());
      // A parent may not learn that tracks it cannot see exist.
      if (!t || i == s.tracks.end() || !s.model.member_visible_to(t->owner(), who))
        return make_error(errc::not_found, "no track " + x.track_id());
      signal::Subscribed out;
      out.set_track_id(x.track_id());
      auto rp = self->make_response_promise<signal::Subscribed>();
      auto track = i->second;
      if (x.sdp().empty()) {
        subscribe_track(self, track, who, x.layer(), out, rp);
        return rp;
      }
      if (!s.rtc)
        return make_error(errc::unavailable, "no media here: " + s.rtc_down);
      self->request(s.rtc, rtc_timeout, atoms::subscribe::value, x.track_id(), who, x.sdp(),
                    x.layer())
        .then(
          [=](rtc_negotiation& n) mutable {
            out.set_sdp(std::move(n.sdp));
            out.set_offer(n.server_offer);
            subscribe_track(self, track, who, x.layer(), out, rp);
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](atoms::command, const std::string& who,
        const signal::SubscribeAnswer& x) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (auto err = check_sender(self, who, action::subscribe))
        return err;
      if (!s.tracks.count(x.track_id()))
        return make_error(errc::not_found, "no track " + x.track_id());
      if (!s.rtc)
        return make_error(errc::unavailable, "no media here: " + s.rtc_down);
      return self->delegate(s.rtc, atoms::answer::value, x.track_id(), who, x.sdp());
    },
    [=](atoms::command, const std::string& who,
        const signal::Unsubscribe& x) -> caf::result<caf::ok_atom> {
      if (auto err = check_sender(self, who, action::subscribe))
        return err;
      auto i = self->state.tracks.find(x.track_id());
      if (i == self->state.tracks.end())
        return make_error(errc::not_found, "no track " + x.track_id());
      if (self->state.rtc)
        caf::anon_send(self->state.rtc, atoms::unsub::value, x.track_id(), who);
      return self->delegate(i->second, atoms::unsub::value, who);
    },
    [=](atoms::command, const std::string& who,
        const signal::Mute& x) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (auto err = check_sender(self, who, action::publish))
        return err;
      auto* t = s.model.track(x.track_id());
      auto i = s.tracks.find(x.track_id());
      if (!t || i == s.tracks.end())
        return make_error(errc::not_found, "no track " + x.track_id());
      auto role = s.model.member(who)->role();
      if (t->owner() != who && role != signal::ROLE_TEACHER && role != signal::ROLE_ASSISTANT)
        return make_error(errc::permission_denied, "not your track");
      if (t->muted() != x.muted()) {
        signal::ClassroomEvent ev;
        ev.mutable_track_muted()->set_track_id(x.track_id());
        ev.mutable_track_muted()->set_muted(x.muted());
        if (auto err = commit(self, std::move(ev)); err.code != errc::none)
          return to_caf(err);
      }
      caf::anon_send(i->second, atoms::mute::value, x.muted());
      return caf::ok_atom::value;
    },
    [=](atoms::command, const std::string& who,
        const signal::PreferLayer& x) -> caf::result<caf::ok_atom> {
      if (auto err = check_sender(self, who, action::subscribe))
        return err;
      auto i = self->state.tracks.find(x.track_id());
      if (i == self->state.tracks.end())
        return make_error(errc::not_found, "no track " + x.track_id());
      if (self->state.rtc)
        caf::anon_send(self->state.rtc, atoms::layer::value, x.track_id(), who, x.layer());
      return self->delegate(i->second, atoms::layer::value, who, x.layer());
    },

    // -- state -------------------------------------------------------------------
    [=](caf::get_atom, const std::string& viewer) {
      return viewer.empty() ? self->state.model.snapshot()
                            : self->state.model.snapshot_for(viewer);
    },
    [=](atoms::watch, session_actor watcher) {
      self->monitor(watcher);
      self->state.watchers.push_back(watcher);
      return self->state.model.snapshot();
    },
    [=](atoms::close, const std::string& reason) -> caf::result<caf::ok_atom> {
      auto& s = self->state;
      if (!s.model.closed()) {
        signal::ClassroomEvent ev;
        ev.mutable_closed()->set_reason(reason);
        if (auto err = commit(self, std::move(ev)); err.code != errc::none)
          return to_caf(err);
      }
      auto why = kick_reason(errc::wrong_state, "classroom closed: " + reason);
      for (auto& [identity, p] : s.participants)
        self->send(p, atoms::kick::value, why);
      for (auto& w : s.watchers)
        self->send(w, atoms::kick::value, why);
      for (auto& [id, t] : s.tracks)
        caf::anon_send(t, atoms::close::value);
      // Calls still running lose both parties with the classroom.
      for (std::size_t i = 0; i < s.calls.size(); ++i)
        count_call(self, call_outcome::peer_dropped);
      s.calls.clear();
      s.participants.clear();
      s.tracks.clear();
      s.journal.close();
      replicate(self, true);
      self->quit();
      return caf::ok_atom::value;
    },
    [=](atoms::resync, const std::vector<std::string>& members,
        const std::vector<std::string>& lost) {
      auto& s = self->state;
      if (!s.rtc || self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(s.rtc))
        return;
      // Every track of those members goes, not only the ones that died:
      // their clients start their media over, all of it.
      std::set<std::string> gone(lost.begin(), lost.end());
      std::set<std::string> who(members.begin(), members.end());
      for (const auto& t : s.model.snapshot().tracks())
        if (who.count(t.owner()))
          gone.insert(t.track_id());
      for (const auto& id : gone) {
        if (!s.model.track(id))
          continue;
        signal::ClassroomEvent ev;
        ev.mutable_track_unpublished()->set_track_id(id);
        commit(self, std::move(ev));
        end_track(self, id);
      }
      for (const auto& m : who)
        if (auto p = s.participants.find(m); p != s.participants.end())
          self->send(p->second, atoms::resync::value, s.model.snapshot_for(m));
    },
    [=](atoms::flush) -> caf::result<caf::ok_atom> {
      if (auto err = self->state.journal.sync(); err.code != errc::none)
        return to_caf(err);
      return caf::ok_atom::value;
    },

    // -- own timers ----------------------------------------------------------------
    [=](atoms::timeout, timer_kind kind, const std::string& subject, uint64_t gen) {
      auto& s = self->state;
      if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(self))
        return;
      if (kind == timer_kind::journal_flush) {
        s.journal.sync();
        arm_flush_timer(self);
      } else if (kind == timer_kind::absent_member) {
        auto i = s.absent_timers.find(subject);
        if (i != s.absent_timers.end() && i->second == gen
            && s.participants.count(subject) == 0)
          remove_member(self, subject, "did not come back");
      }
    },
  };
}

} // namespace

const char* to_string(timer_kind x) {
  switch (x) {
    case timer_kind::ring: return "ring";
    case timer_kind::media_setup: return "media_setup";
    case timer_kind::device_deadline: return "device_deadline";
    case timer_kind::reconnect_grace: return "reconnect_grace";
    case timer_kind::absent_member: return "absent_member";
    case timer_kind::journal_flush: return "journal_flush";
    case timer_kind::join_deadline: return "join_deadline";
  }
  return "unknown";
}

caf::expected<classroom_actor> spawn_classroom(caf::actor_system& sys, classroom_config cfg) {
  return spawn_classroom(sys, std::move(cfg), tally_actor{});
}

caf::expected<classroom_actor> spawn_classroom(caf::actor_system& sys, classroom_config cfg,
                                               tally_actor tally) {
  auto init = std::make_shared<classroom_init>();
  init->tally = std::move(tally);
  const auto& spec = cfg.spec;
  if (spec.tenant.empty() || spec.classroom_id.empty())
    return make_error(errc::bad_request, "tenant and classroom id must not be empty");
  if (spec.mode == signal::MODE_UNSPECIFIED || !signal::ClassroomMode_IsValid(spec.mode))
    return make_error(errc::bad_request, "unknown classroom mode");
  if (rtc_provider_kind k; !spec.provider.empty() && !from_string(spec.provider, k))
    return make_error(errc::bad_request, "unknown media provider '" + spec.provider + "'");
  auto contents = read_journal(cfg.journal_path);
  uint64_t valid_size = 0;
  if (contents) {
    valid_size = contents->valid_size;
    for (const auto& ev : contents->events)
      if (auto code = init->model.apply(ev); code != errc::none)
        // CRCs passed, so this is not a torn write: refuse to guess, keep
        // the file untouched for an operator to look at.
        return make_error(errc::internal, "journal " + cfg.journal_path.string()
                                            + " has an event that does not apply at seq "
                                            + std::to_string(ev.seq()));
    if (init->model.created()) {
      const auto& snap = init->model.snapshot();
      if (snap.tenant() != spec.tenant || snap.classroom_id() != spec.classroom_id)
        return make_error(errc::internal, "journal " + cfg.journal_path.string()
                                            + " belongs to another classroom");
      if (snap.closed())
        return make_error(errc::wrong_state, "classroom " + spec.classroom_id + " is closed");
      init->rebuilt = true;
      // The classroom's media stays on the provider it was created with.
      cfg.spec.provider = contents->events.front().created().provider();
    } else {
      valid_size = 0;  // nothing usable: start the file afresh
    }
  } else if (contents.err().code != errc::not_found) {
    return make_error(contents.err().code, contents.err().message);
  }
  if (auto err = init->journal.open(cfg.journal_path, valid_size); err.code != errc::none)
    return make_error(err.code, err.message);
  if (!init->model.created()) {
    signal::ClassroomEvent ev;
    ev.set_seq(1);
    ev.set_at_ms(wall_ms());
    auto* c = ev.mutable_created();
    c->set_tenant(spec.tenant);
    c->set_classroom_id(spec.classroom_id);
    c->set_mode(spec.mode);
    c->set_capacity(spec.capacity);
    c->set_provider(spec.provider);
    if (auto err = init->journal.append(ev); err.code != errc::none)
      return make_error(err.code, err.message);
    init->model.apply(ev);
  }
  init->cfg = std::move(cfg);
  return sys.spawn(classroom_impl, std::move(init));
}

} // namespace lamplight::actors
