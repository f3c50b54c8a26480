// Stream control: the classroom checks roles and what the sender may see,
// journals what members see of tracks (published, muted, unpublished), and
// asks each track's own actor (track_actor.hpp), which owns its subscribers
// and programs its media in the classroom's media room.

#include <chrono>
#include <set>

#include <caf/send.hpp>

#include "actors/base/errors.hpp"
#include "actors/classroom/classroom_state.hpp"

namespace lamplight::actors::classroom_detail {

namespace {

/// A track negotiates with the media room for at most 15 s (Janus waits for
/// a publisher's PeerConnection before it takes a subscription); its own
/// timeout error comes back before this one fires.
constexpr auto track_timeout = std::chrono::seconds(16);

caf::error no_media(self_ptr self) {
  return make_error(errc::unavailable, "no media here: " + self->state.rtc_down);
}

caf::error source_taken() {
  return make_error(errc::already_exists, "that source is already published");
}

bool source_published(self_ptr self, const std::string& owner, signal::TrackSource source) {
  for (const auto& t : self->state.model.snapshot().tracks())
    if (t.owner() == owner && t.source() == source)
      return true;
  return false;
}

/// The control side of a publish, once its media (if any) is negotiated:
/// journaled, then `track` is the track's actor.
caf::error finish_publish(self_ptr self, const signal::TrackInfo& info, const track_actor& track) {
  if (source_published(self, info.owner(), info.source()))
    return source_taken();
  signal::ClassroomEvent ev;
  *ev.mutable_track_published()->mutable_track() = info;
  if (auto err = commit(self, std::move(ev)); err.code != errc::none)
    return to_caf(err);
  self->state.tracks.emplace(info.track_id(), track);
  return {};
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

/// Closes a track: its actor (which takes its media out of the room) and
/// its record here.
void end_track(self_ptr self, const std::string& track_id) {
  auto& s = self->state;
  if (auto i = s.tracks.find(track_id); i != s.tracks.end()) {
    caf::anon_send(i->second, atoms::close::value);
    s.tracks.erase(i);
  }
}

} // namespace

caf::result<signal::Published> on_publish(self_ptr self, const std::string& who,
                                          const signal::Publish& x) {
  auto& s = self->state;
  if (auto err = check_sender(self, who, action::publish))
    return err;
  if (x.kind() == signal::TRACK_KIND_UNSPECIFIED || x.source() == signal::TRACK_SOURCE_UNSPECIFIED)
    return make_error(errc::bad_request, "publish needs a kind and a source");
  if (source_published(self, who, x.source()))
    return source_taken();
  if (!x.sdp().empty() && !s.rtc)
    return no_media(self);
  signal::TrackInfo info;
  info.set_track_id(who + "/" + next_id(self, "t"));
  info.set_owner(who);
  info.set_kind(x.kind());
  info.set_source(x.source());
  info.set_simulcast(x.simulcast());
  signal::Published out;
  out.set_track_id(info.track_id());
  auto track = spawn_track(self->system(), info, s.rtc);
  if (x.sdp().empty()) {
    if (auto err = finish_publish(self, info, track)) {
      caf::anon_send(track, atoms::close::value);
      return err;
    }
    return out;
  }
  // Negotiate first: a refused offer publishes nothing.
  auto rp = self->make_response_promise<signal::Published>();
  self->request(track, track_timeout, atoms::publish::value, x.sdp())
    .then(
      [=](std::string& answer) mutable {
        out.set_sdp(std::move(answer));
        // The member may have left, or published that source, meanwhile.
        auto err = self->state.participants.count(who) ? finish_publish(self, info, track)
                                                       : make_error(errc::wrong_state, who + " left");
        if (err) {
          caf::anon_send(track, atoms::close::value);
          rp.deliver(std::move(err));
          return;
        }
        rp.deliver(out);
      },
      [=](caf::error& err) mutable {
        caf::anon_send(track, atoms::close::value);
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
