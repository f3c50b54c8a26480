// What a participant watches: its subscribe session's offers, passed on to
// its client, and the tracks it watches without being asked, because its
// state already says so: in a call, the other party's tracks (the lamp that
// accepts a call sees and hears the teacher); in a large class, a student
// the teacher's. Tracks such a member publishes later are added as they
// appear, so the order of "accept" and "camera on" does not matter.

#include "actors/base/errors.hpp"
#include "actors/classroom/participant_state.hpp"

namespace lamplight::actors::participant_detail {

namespace {

/// Whose tracks this participant watches by its state alone.
std::set<std::string> followed(self_ptr self) {
  auto& st = self->state;
  std::set<std::string> out;
  auto phase = st.call.phase();
  if ((phase == protocol::call_phase::connecting || phase == protocol::call_phase::connected)
      && !st.call.peer().empty())
    out.insert(st.call.peer());
  if (st.mode == signal::MODE_LARGE_CLASS && st.cfg.member.role == signal::ROLE_STUDENT)
    out.insert(st.teachers.begin(), st.teachers.end());
  return out;
}

void auto_subscribe(self_ptr self, const std::string& track_id) {
  auto& st = self->state;
  // The client's own choice stands: it watches it already, or said no.
  if (st.client_watched.count(track_id) || st.declined.count(track_id)
      || !st.auto_watched.insert(track_id).second)
    return;
  signal::Subscribe sub;
  sub.set_track_id(track_id);
  // Refused (the track went meanwhile, no media): nothing to watch; the
  // client's own requests report their errors, these have nobody to.
  self->request(st.cfg.classroom, upstream_timeout, atoms::subscribe::value, identity_of(self), sub)
    .then([](caf::ok_atom) {}, [=](caf::error&) { self->state.auto_watched.erase(track_id); });
}

void auto_unsubscribe(self_ptr self, const std::string& track_id) {
  auto& st = self->state;
  if (st.auto_watched.erase(track_id) == 0)
    return;
  signal::Unsubscribe u;
  u.set_track_id(track_id);
  self->request(st.cfg.classroom, upstream_timeout, atoms::unsub::value, identity_of(self), u)
    .then([](caf::ok_atom) {}, [](caf::error&) {});
}

} // namespace

void update_watching(self_ptr self) {
  auto& st = self->state;
  if (!st.joined)
    return;
  auto who = followed(self);
  for (const auto& [track, owner] : st.tracks)
    if (who.count(owner))
      auto_subscribe(self, track);
  std::vector<std::string> stale;
  for (const auto& track : st.auto_watched) {
    auto t = st.tracks.find(track);
    if (t != st.tracks.end() && !who.count(t->second))
      stale.push_back(track);
  }
  for (const auto& track : stale)
    auto_unsubscribe(self, track);
}

void learn_tracks(self_ptr self, const signal::ClassroomSnapshot& snap) {
  auto& st = self->state;
  st.mode = snap.mode();
  st.tracks.clear();
  st.teachers.clear();
  for (const auto& t : snap.tracks())
    st.tracks[t.track_id()] = t.owner();
  for (const auto& m : snap.members())
    if (m.role() == signal::ROLE_TEACHER)
      st.teachers.insert(m.identity());
  // Its session is new (its media was lost, or the classroom moved): what
  // it watched by state is watched again from this snapshot; the client
  // subscribes again to what it chose.
  st.auto_watched.clear();
  st.client_watched.clear();
  st.declined.clear();
  st.session_offer.reset();
  update_watching(self);
}

void learn_event(self_ptr self, const signal::ClassroomEvent& ev) {
  auto& st = self->state;
  using E = signal::ClassroomEvent;
  switch (ev.kind_case()) {
    case E::kTrackPublished:
      st.tracks[ev.track_published().track().track_id()] = ev.track_published().track().owner();
      break;
    case E::kTrackUnpublished: {
      const auto& id = ev.track_unpublished().track_id();
      st.tracks.erase(id);
      st.auto_watched.erase(id);
      st.client_watched.erase(id);
      st.declined.erase(id);
      return;
    }
    case E::kMemberJoined:
      if (ev.member_joined().member().role() == signal::ROLE_TEACHER)
        st.teachers.insert(ev.member_joined().member().identity());
      break;
    case E::kMemberLeft:
      st.teachers.erase(ev.member_left().identity());
      return;
    default:
      return;
  }
  update_watching(self);
}

void on_session_offer(self_ptr self, const signal::SubscribeOffer& offer) {
  self->state.session_offer = offer;
  signal::ServerMessage msg;
  *msg.mutable_subscribe_offer() = offer;
  push(self, std::move(msg));
}

void repeat_session_offer(self_ptr self) {
  if (auto& o = self->state.session_offer) {
    signal::ServerMessage msg;
    *msg.mutable_subscribe_offer() = *o;
    push(self, std::move(msg));
  }
}

void client_watches(self_ptr self, const std::string& track_id, bool watches) {
  // The client's own choice: kept whatever the state says (a teacher's
  // page that stops showing a student it is in a call with).
  auto& st = self->state;
  st.auto_watched.erase(track_id);
  if (watches) {
    st.client_watched.insert(track_id);
    st.declined.erase(track_id);
  } else {
    st.client_watched.erase(track_id);
    st.declined.insert(track_id);
  }
}

} // namespace lamplight::actors::participant_detail
