// Stream control: the classroom checks roles and what the sender may see,
// journals what members see of tracks (published, muted, unpublished),
// negotiates each member's publish session with the media room (which
// tracks its sections publish), and asks each track's own actor
// (track_actor.hpp), which owns its subscribers and programs them in the
// classroom's media room.

#include <algorithm>
#include <chrono>
#include <set>

#include <caf/send.hpp>

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

namespace {

/// A track negotiates with the media room for at most 15 s (Janus waits for
/// a publisher's PeerConnection before it takes a subscription); its own
/// timeout error comes back before this one fires. A publish session's
/// offer takes no longer.
constexpr auto track_timeout = std::chrono::seconds(16);

caf::error no_media(self_ptr self) {
  return make_error(errc::unavailable, "no media here: " + self->state.rtc_down);
}

caf::error source_taken() {
  return make_error(errc::already_exists, "that source is already published");
}

/// The track's owner, or a teacher or assistant, may unpublish or mute it.
caf::error check_track_owner(self_ptr self, const std::string& who, const signal::TrackInfo& t) {
  auto role = self->state.model.member(who)->role();
  if (t.owner() != who && role != signal::ROLE_TEACHER && role != signal::ROLE_ASSISTANT)
    return make_error(errc::permission_denied, "not your track");
  return {};
}

/// The actor of a live track, or nullptr.
const track_actor* track_of(self_ptr self, const std::string& track_id) {
  auto i = self->state.tracks.find(track_id);
  return i == self->state.tracks.end() ? nullptr : &i->second;
}

caf::error no_track(const std::string& track_id) {
  return make_error(errc::not_found, "no track " + track_id);
}

/// Closes a track: its actor (which takes its media out of the room), its
/// section's record (the section stays in its owner's session, unforwarded)
/// and its record here.
void end_track(self_ptr self, const std::string& track_id) {
  auto& s = self->state;
  if (auto i = s.tracks.find(track_id); i != s.tracks.end()) {
    caf::anon_send(i->second, atoms::close::value);
    s.tracks.erase(i);
  }
  for (auto& [who, mids] : s.sections)
    for (auto i = mids.begin(); i != mids.end();)
      i = i->second == track_id ? mids.erase(i) : std::next(i);
}

/// What a Publish changes in its member's session.
struct publish_plan {
  signal::Publish to_room;              // the offer, each track named
  std::vector<signal::TrackInfo> added;  // new tracks, by their sections
  std::vector<std::string> removed;     // tracks whose sections no longer publish them
};

/// Checks a Publish of `who` against its session so far and names its
/// tracks: a section that publishes the same source as before keeps its
/// track, any other is a new track.
caf::expected<publish_plan> plan_publish(self_ptr self, const std::string& who,
                                         const signal::Publish& x) {
  auto& s = self->state;
  publish_plan plan{x, {}, {}};
  std::set<std::string> mids;
  std::set<int> sources;
  const auto& had = s.sections[who];
  for (auto& t : *plan.to_room.mutable_tracks()) {
    if (t.kind() == signal::TRACK_KIND_UNSPECIFIED || t.source() == signal::TRACK_SOURCE_UNSPECIFIED)
      return make_error(errc::bad_request, "each published track needs a kind and a source");
    if (t.mid().empty() || !mids.insert(t.mid()).second)
      return make_error(errc::bad_request, "each published track needs a mid of its own");
    if (!sources.insert(t.source()).second)
      return make_error(errc::bad_request, "a source is published once");
    auto i = had.find(t.mid());
    const auto* before = i == had.end() ? nullptr : s.model.track(i->second);
    if (before && before->source() == t.source() && before->kind() == t.kind()) {
      t.set_track_id(before->track_id());
      continue;
    }
    signal::TrackInfo info;
    info.set_track_id(who + "/" + next_id(self, "t"));
    info.set_owner(who);
    info.set_kind(t.kind());
    info.set_source(t.source());
    info.set_simulcast(t.simulcast());
    t.set_track_id(info.track_id());
    plan.added.push_back(std::move(info));
  }
  std::set<std::string> kept;
  for (const auto& t : plan.to_room.tracks())
    kept.insert(t.track_id());
  for (const auto& [mid, id] : had)
    if (!kept.count(id))
      plan.removed.push_back(id);
  // A source this session adds must not be published by another track
  // that stays (one published before the session, or by the shell).
  for (const auto& t : s.model.snapshot().tracks())
    if (t.owner() == who && !kept.count(t.track_id())
        && std::find(plan.removed.begin(), plan.removed.end(), t.track_id()) == plan.removed.end()
        && sources.count(t.source()))
      return source_taken();
  return plan;
}

/// The classroom side of a publish whose media (if any) the room took:
/// tracks no longer published go, new ones are journaled with their actors.
void apply_publish(self_ptr self, const std::string& who, const publish_plan& plan, bool media) {
  auto& s = self->state;
  for (const auto& id : plan.removed) {
    if (!s.model.track(id))
      continue;  // unpublished by staff meanwhile
    signal::ClassroomEvent ev;
    ev.mutable_track_unpublished()->set_track_id(id);
    commit(self, std::move(ev));
    end_track(self, id);
  }
  for (const auto& info : plan.added) {
    signal::ClassroomEvent ev;
    *ev.mutable_track_published()->mutable_track() = info;
    if (commit(self, std::move(ev)).code != errc::none)
      continue;  // not journaled, so not published (its media goes with its session)
    s.tracks.emplace(info.track_id(), spawn_track(self->system(), info,
                                                  media ? s.rtc : rtc_room_actor{}));
  }
  auto& mids = s.sections[who];
  mids.clear();
  for (const auto& t : plan.to_room.tracks())
    mids[t.mid()] = t.track_id();
}


} // namespace

caf::result<signal::Published> on_publish(self_ptr self, const std::string& who,
                                          const signal::Publish& x) {
  auto& s = self->state;
  if (auto err = check_sender(self, who, action::publish))
    return err;
  if (s.publishing.count(who))
    return make_error(errc::wrong_state, "your previous publish is still under way");
  if (!x.sdp().empty() && !s.rtc)
    return no_media(self);
  auto plan = plan_publish(self, who, x);
  if (!plan)
    return std::move(plan.error());
  if (x.sdp().empty()) {
    apply_publish(self, who, *plan, false);
    return published_answer(plan->to_room, {});
  }
  // Negotiate first: a refused offer changes nothing.
  s.publishing.insert(who);
  auto rp = self->make_response_promise<signal::Published>();
  self->request(s.rtc, track_timeout, atoms::publish::value, who, plan->to_room)
    .then(
      [=](signal::Published& answer) mutable {
        auto& st = self->state;
        st.publishing.erase(who);
        // The member may have left meanwhile (the room dropped its media).
        if (!st.participants.count(who)) {
          rp.deliver(make_error(errc::wrong_state, who + " left"));
          return;
        }
        apply_publish(self, who, *plan, true);
        rp.deliver(std::move(answer));
      },
      [=](caf::error& err) mutable {
        self->state.publishing.erase(who);
        rp.deliver(std::move(err));
      });
  return rp;
}

caf::result<caf::ok_atom> on_unpublish(self_ptr self, const std::string& who,
                                       const signal::Unpublish& x) {
  if (auto err = check_sender(self, who, action::publish))
    return err;
  auto* t = self->state.model.track(x.track_id());
  if (!t)
    return no_track(x.track_id());
  if (auto err = check_track_owner(self, who, *t))
    return err;
  signal::ClassroomEvent ev;
  ev.mutable_track_unpublished()->set_track_id(x.track_id());
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  end_track(self, x.track_id());
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> on_subscribe(self_ptr self, const std::string& who,
                                       const signal::Subscribe& x) {
  auto& s = self->state;
  if (auto err = check_sender(self, who, action::subscribe))
    return err;
  auto* t = s.model.track(x.track_id());
  auto* track = track_of(self, x.track_id());
  // A parent may not learn that tracks it cannot see exist.
  if (!t || !track || !s.model.member_visible_to(t->owner(), who))
    return no_track(x.track_id());
  auto p = s.participants.find(who);
  if (p == s.participants.end())
    return make_error(errc::not_joined, who + " has no participant here");
  // The room's offers go straight to the participant, which pushes them.
  return self->delegate(*track, atoms::subscribe::value, who, x.layer(),
                        offer_sink_actor{p->second});
}

caf::result<caf::ok_atom> on_answer(self_ptr self, const std::string& who,
                                    const signal::SubscribeAnswer& x) {
  if (auto err = check_sender(self, who, action::subscribe))
    return err;
  if (!self->state.rtc)
    return no_media(self);
  return self->delegate(self->state.rtc, atoms::answer::value, who, x);
}

caf::result<caf::ok_atom> on_unsubscribe(self_ptr self, const std::string& who,
                                         const signal::Unsubscribe& x) {
  if (auto err = check_sender(self, who, action::subscribe))
    return err;
  auto* track = track_of(self, x.track_id());
  if (!track)
    return no_track(x.track_id());
  return self->delegate(*track, atoms::unsub::value, who);
}

caf::result<caf::ok_atom> on_mute(self_ptr self, const std::string& who, const signal::Mute& x) {
  if (auto err = check_sender(self, who, action::publish))
    return err;
  auto* t = self->state.model.track(x.track_id());
  if (!t)
    return no_track(x.track_id());
  if (auto err = check_track_owner(self, who, *t))
    return err;
  return set_track_muted(self, x);
}

caf::result<caf::ok_atom> set_track_muted(self_ptr self, const signal::Mute& x) {
  auto* t = self->state.model.track(x.track_id());
  auto* track = track_of(self, x.track_id());
  if (!t || !track)
    return no_track(x.track_id());
  if (t->muted() != x.muted()) {
    signal::ClassroomEvent ev;
    ev.mutable_track_muted()->set_track_id(x.track_id());
    ev.mutable_track_muted()->set_muted(x.muted());
    if (auto err = commit(self, std::move(ev)); err.code != errc::none)
      return to_caf(err);
  }
  caf::anon_send(*track, atoms::mute::value, x.muted());
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> on_layer(self_ptr self, const std::string& who,
                                   const signal::PreferLayer& x) {
  if (auto err = check_sender(self, who, action::subscribe))
    return err;
  auto* track = track_of(self, x.track_id());
  if (!track)
    return no_track(x.track_id());
  return self->delegate(*track, atoms::layer::value, who, x.layer());
}

void on_media_lost(self_ptr self, const std::vector<std::string>& members,
                   const std::vector<std::string>& lost) {
  auto& s = self->state;
  // Every track of those members goes, not only the ones that died: their
  // clients start their media over, all of it.
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
}

} // namespace lamplight::actors::classroom_detail
