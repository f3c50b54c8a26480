// The classroom's membership handlers: join, leave, presence, and what
// happens when a participant ends.

#include <algorithm>

#include <caf/send.hpp>

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

namespace {

/// Tells the media room where the member's participant runs: its media is
/// best placed near it.
void place_media(self_ptr self, const std::string& identity, const member_actor& p) {
  if (self->state.rtc)
    self->send(self->state.rtc, atoms::near::value, identity, caf::to_string(p.node()));
}

/// Seats `p` for `identity` (who is a member already or was just journaled).
void seat(self_ptr self, const std::string& identity, const member_actor& p) {
  self->state.participants.emplace(identity, p);
  self->monitor(p);
  place_media(self, identity, p);
}

} // namespace

snapshot_and_seat on_join(self_ptr self, const protocol::token_claims& who, member_actor p) {
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
      return make_error(errc::permission_denied, who.identity + " is a member with another role");
    auto i = s.participants.find(who.identity);
    if (i != s.participants.end())
      return caf::make_result(snapshot_for(self, who.identity), i->second);
    s.absent_timers.erase(who.identity);
    seat(self, who.identity, p);
    set_presence(self, who.identity, true);
    return caf::make_result(snapshot_for(self, who.identity), p);
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
  seat(self, who.identity, p);
  return caf::make_result(snapshot_for(self, who.identity), p);
}

caf::result<caf::ok_atom> on_leave(self_ptr self, const std::string& identity,
                                   const std::string& reason) {
  if (!from_member(self, identity))
    return make_error(errc::permission_denied, "only a member's participant leaves");
  remove_member(self, identity, reason);
  return caf::ok_atom::value;
}

void on_presence(self_ptr self, const std::string& identity, bool online) {
  if (from_member(self, identity))
    set_presence(self, identity, online);
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& s = self->state;
  for (auto& [identity, p] : s.participants)
    if (dm.source == p.address()) {
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
                                  [&](const session_actor& w) { return dm.source == w.address(); }),
                   s.watchers.end());
}

} // namespace lamplight::actors::classroom_detail
