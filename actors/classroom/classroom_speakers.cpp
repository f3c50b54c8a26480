// Who is speaking: the classroom's media room says when a microphone track
// starts or stops being voiced; the classroom, which knows whose track it
// is, tells its members and watchers (Speakers), coalesced so that a class
// where many talk at once costs each client a few messages a second.

#include <algorithm>

#include <caf/send.hpp>

#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

namespace {

/// Who speaks now, loudest first: tracks that are gone or muted since they
/// were reported are left out (and forgotten).
signal::Speakers current_speakers(self_ptr self) {
  auto& st = self->state;
  signal::Speakers out;
  for (auto i = st.speaking.begin(); i != st.speaking.end();) {
    const auto* t = st.model.track(i->first);
    if (!t || t->muted()) {
      i = st.speaking.erase(i);
      continue;
    }
    auto* s = out.add_speakers();
    s->set_identity(t->owner());
    s->set_track_id(i->first);
    s->set_level(i->second);
    ++i;
  }
  std::stable_sort(out.mutable_speakers()->begin(), out.mutable_speakers()->end(),
                   [](const signal::Speaker& a, const signal::Speaker& b) {
                     return a.level() < b.level();
                   });
  return out;
}

bool same(const signal::Speakers& a, const signal::Speakers& b) {
  if (a.speakers_size() != b.speakers_size())
    return false;
  for (int i = 0; i < a.speakers_size(); ++i)
    if (a.speakers(i).track_id() != b.speakers(i).track_id())
      return false;  // a level alone changing is not worth a message
  return true;
}

} // namespace

void on_speaking(self_ptr self, const std::string& track_id, bool speaking, uint8_t level) {
  auto& st = self->state;
  const auto* t = st.model.track(track_id);
  if (!t || t->kind() != signal::TRACK_KIND_AUDIO)
    return;  // gone meanwhile, or not a microphone
  if (speaking)
    st.speaking[track_id] = level;
  else if (st.speaking.erase(track_id) == 0)
    return;
  arm_speakers_timer(self);
}

void arm_speakers_timer(self_ptr self) {
  auto& st = self->state;
  if (st.speakers_timer)
    return;
  st.speakers_timer = true;
  self->delayed_send(self, st.cfg.speakers_interval, atoms::timeout::value, timer_kind::speakers,
                     std::string{}, uint64_t{0});
}

void tell_speakers(self_ptr self) {
  auto& st = self->state;
  st.speakers_timer = false;
  auto now = current_speakers(self);
  if (same(now, st.speakers_told))
    return;
  st.speakers_told = now;
  for (auto& [identity, p] : st.participants)
    self->send(p, atoms::speakers::value, now);
  if (!st.watchers.empty()) {
    signal::ServerMessage push;
    *push.mutable_speakers() = now;
    for (auto& w : st.watchers)
      self->send(w, atoms::push::value, push);
  }
}

signal::ClassroomSnapshot snapshot_for(self_ptr self, const std::string& viewer) {
  auto& st = self->state;
  auto snap = viewer.empty() ? st.model.snapshot() : st.model.snapshot_for(viewer);
  if (st.speakers_told.speakers_size() > 0)
    *snap.mutable_speakers() = st.speakers_told;
  return snap;
}

} // namespace lamplight::actors::classroom_detail
