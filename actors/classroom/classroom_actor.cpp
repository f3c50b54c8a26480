// The classroom actor: its start (journal read or created, media room
// spawned) and its behavior, which dispatches each message of its protocol
// to the handler of its group (classroom_<group>.cpp); the state group
// (snapshots, watchers, close, flush, own timers) is here.

#include "actors/classroom/classroom_actor.hpp"

#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors {

namespace {

using namespace classroom_detail;

/// Spawns the classroom's media room on its provider (none if the node
/// has none: tracks are then control state only).
void open_media_room(self_ptr self) {
  auto& st = self->state;
  auto provider = st.cfg.rtc.default_kind;
  if (!st.cfg.spec.provider.empty())
    from_string(st.cfg.spec.provider, provider);  // checked by spawn_classroom
  rtc_room_spec rs{st.cfg.spec.tenant, st.cfg.spec.classroom_id, st.cfg.photos, {}, {}};
  rs.on_media_lost = [me = classroom_actor{self}](const rtc_room_actor& room,
                                                  std::vector<std::string> members,
                                                  std::vector<std::string> tracks) {
    caf::send_as(room, me, atoms::resync::value, std::move(members), std::move(tracks));
  };
  rs.speech = classroom_actor{self};
  auto room = spawn_rtc_room(self->system(), st.cfg.rtc, provider, std::move(rs));
  if (!room) {
    st.rtc_down = to_protocol_error(room.error()).message;
    return;
  }
  st.rtc = *room;
  // The room holds media resources (ports, Janus handles) for this
  // classroom only.
  self->attach_functor([rtc = st.rtc] { caf::anon_send(rtc, atoms::close::value); });
}

classroom_actor::behavior_type classroom_impl(self_ptr self,
                                              std::shared_ptr<classroom_init> init) {
  auto& st = self->state;
  st.cfg = std::move(init->cfg);
  open_media_room(self);
  st.model = std::move(init->model);
  st.journal = std::move(init->journal);
  if (init->rebuilt)
    settle_after_rebuild(self);
  st.journal.sync();
  replicate(self, false);  // what was written before the actor ran
  arm_flush_timer(self);
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  using namespace signal;
  using ok = caf::result<caf::ok_atom>;
  return {
    // -- membership (classroom_membership.cpp) ----------------------------------
    [=](atoms::join, const protocol::token_claims& who, member_actor p) {
      return on_join(self, who, std::move(p));
    },
    [=](atoms::leave, const std::string& identity, const std::string& reason) -> ok {
      return on_leave(self, identity, reason);
    },
    [=](atoms::presence, const std::string& identity, bool online) {
      on_presence(self, identity, online);
    },
    // -- hands (classroom_hands.cpp) ------------------------------------------------
    [=](atoms::hand, const std::string& who, const RaiseHand& x) -> ok { return on_hand(self, who, x); },
    [=](atoms::hand, const std::string& who, const LowerHand& x) -> ok { return on_hand(self, who, x); },
    [=](atoms::hand, const std::string& who, const AcceptHand& x) -> ok { return on_hand(self, who, x); },
    [=](atoms::hand, const std::string& who, const DismissHand& x) -> ok {
      return on_hand(self, who, x);
    },
    // -- calls (classroom_calls.cpp) --------------------------------------------------
    [=](atoms::invite, const std::string& call_id, const std::string& caller,
        const std::string& callee) -> ok { return on_invite(self, call_id, caller, callee); },
    [=](atoms::call, const std::string& call_id, const std::string& sender, call_signal sig) {
      on_call(self, call_id, sender, sig);
    },
    // -- device control (classroom_devices.cpp) -------------------------------------
    [=](atoms::device, const std::string& who,
        const DeviceCommand& cmd) -> caf::result<std::string> { return on_device(self, who, cmd); },
    [=](atoms::outcome, const DeviceOutcome& o) { on_outcome(self, o); },
    // -- whiteboard (classroom_board.cpp) ---------------------------------------------
    [=](atoms::board, const std::string& who, WhiteboardOp op) -> caf::result<uint64_t> {
      return on_board(self, who, std::move(op));
    },
    // -- stream control (classroom_streams.cpp) ---------------------------------------
    [=](atoms::publish, const std::string& who, const Publish& x) -> caf::result<Published> {
      return on_publish(self, who, x);
    },
    [=](atoms::unpublish, const std::string& who, const Unpublish& x) -> ok {
      return on_unpublish(self, who, x);
    },
    [=](atoms::subscribe, const std::string& who, const Subscribe& x) -> ok {
      return on_subscribe(self, who, x);
    },
    [=](atoms::answer, const std::string& who, const SubscribeAnswer& x) -> ok {
      return on_answer(self, who, x);
    },
    [=](atoms::unsub, const std::string& who, const Unsubscribe& x) -> ok {
      return on_unsubscribe(self, who, x);
    },
    [=](atoms::mute, const std::string& who, const Mute& x) -> ok { return on_mute(self, who, x); },
    [=](atoms::layer, const std::string& who, const PreferLayer& x) -> ok {
      return on_layer(self, who, x);
    },
    [=](atoms::resync, const std::vector<std::string>& members,
        const std::vector<std::string>& lost) {
      // Only its own media room says so.
      if (self->state.rtc && self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(self->state.rtc))
        on_media_lost(self, members, lost);
    },
    [=](atoms::speaking, const std::string& track, bool speaking, uint8_t level) {
      on_speaking(self, track, speaking, level);
    },

    // -- the tenant's backend (classroom_moderation.cpp) ----------------------------
    [=](atoms::moderate, const MemberLeft& x) -> ok { return on_remove(self, x); },
    [=](atoms::moderate, const Mute& x) -> ok { return set_track_muted(self, x); },
    [=](atoms::moderate, const DeviceCommand& cmd,
        const std::string& on_behalf_of) -> caf::result<std::string> {
      return on_device_for(self, cmd, on_behalf_of);
    },

    // -- state -------------------------------------------------------------------
    [=](caf::get_atom, const std::string& viewer) {
      return snapshot_for(self, viewer);
    },
    [=](atoms::watch, session_actor watcher) {
      self->monitor(watcher);
      self->state.watchers.push_back(watcher);
      return snapshot_for(self, "");
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
    [=](atoms::flush) -> ok {
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
      } else if (kind == timer_kind::speakers) {
        tell_speakers(self);
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

caf::expected<classroom_actor> spawn_classroom(caf::actor_system& sys, classroom_config cfg) {
  auto init = std::make_shared<classroom_init>();
  const auto& spec = cfg.spec;
  if (spec.tenant.empty() || spec.classroom_id.empty())
    return make_error(errc::bad_request, "tenant and classroom id must not be empty");
  if (spec.mode == signal::MODE_UNSPECIFIED || !signal::ClassroomMode_IsValid(spec.mode))
    return make_error(errc::bad_request, "unknown classroom mode");
  if (rtc_provider_kind k; !spec.provider.empty() && !from_string(spec.provider, k))
    return make_error(errc::bad_request, "unknown media provider '" + spec.provider + "'");
  auto contents = storage::read_journal(cfg.journal_path);
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
    if (cfg.history)
      cfg.history->post(spec.tenant, spec.classroom_id, ev);
  }
  init->cfg = std::move(cfg);
  return sys.spawn(classroom_impl, std::move(init));
}

} // namespace lamplight::actors
