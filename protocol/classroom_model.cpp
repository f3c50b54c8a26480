#include "protocol/classroom_model.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "protocol/permissions.hpp"

namespace lamplight::protocol {

namespace v1 = signal::v1;

namespace {

constexpr int32_t phase_ended = 5; // CALL_PHASE_ENDED

template <class Repeated, class Pred>
int find_index(const Repeated& xs, Pred pred) {
  for (int i = 0; i < xs.size(); ++i)
    if (pred(xs.Get(i)))
      return i;
  return -1;
}

template <class Repeated, class Pred>
void erase_if(Repeated* xs, Pred pred) {
  // Stable removal: keep the order of everything else (join order, board order).
  int out = 0;
  for (int i = 0; i < xs->size(); ++i) {
    if (!pred(xs->Get(i))) {
      if (out != i)
        xs->SwapElements(out, i);
      ++out;
    }
  }
  while (xs->size() > out)
    xs->RemoveLast();
}

void erase_string(google::protobuf::RepeatedPtrField<std::string>* xs,
                  const std::string& value) {
  erase_if(xs, [&](const std::string& x) { return x == value; });
}

bool is_staff(v1::Role r) {
  return r == v1::ROLE_TEACHER || r == v1::ROLE_ASSISTANT;
}

} // namespace

const v1::Member* classroom_model::member(const std::string& identity) const {
  auto i = member_index_.find(identity);
  return i == member_index_.end() ? nullptr : &state_.members(i->second);
}

v1::Member* classroom_model::find_member(const std::string& identity) {
  auto i = member_index_.find(identity);
  return i == member_index_.end() ? nullptr : state_.mutable_members(i->second);
}

const v1::CallInfo* classroom_model::call(const std::string& call_id) const {
  auto i = find_index(state_.calls(), [&](const v1::CallInfo& c) { return c.call_id() == call_id; });
  return i < 0 ? nullptr : &state_.calls(i);
}

const v1::TrackInfo* classroom_model::track(const std::string& track_id) const {
  auto i = find_index(state_.tracks(),
                      [&](const v1::TrackInfo& t) { return t.track_id() == track_id; });
  return i < 0 ? nullptr : &state_.tracks(i);
}

uint32_t classroom_model::count(v1::Role role) const {
  uint32_t n = 0;
  for (const auto& m : state_.members())
    if (m.role() == role)
      ++n;
  return n;
}

void classroom_model::reindex() {
  member_index_.clear();
  for (int i = 0; i < state_.members_size(); ++i)
    member_index_.emplace(state_.members(i).identity(), i);
}

errc classroom_model::apply(const v1::ClassroomEvent& ev) {
  using E = v1::ClassroomEvent;
  if (state_.closed() || ev.seq() != state_.seq() + 1)
    return errc::wrong_state;
  if (!created() != (ev.kind_case() == E::kCreated))
    return errc::bad_request; // first must be created; created only first
  // Every branch validates fully before it mutates anything.
  switch (ev.kind_case()) {
    case E::kCreated: {
      const auto& c = ev.created();
      state_.set_tenant(c.tenant());
      state_.set_classroom_id(c.classroom_id());
      state_.set_mode(c.mode());
      state_.set_capacity(c.capacity() != 0 ? c.capacity() : default_capacity(c.mode()));
      break;
    }
    case E::kMemberJoined: {
      const auto& m = ev.member_joined().member();
      if (m.identity().empty() || member(m.identity()))
        return errc::bad_request;
      *state_.add_members() = m;
      member_index_.emplace(m.identity(), state_.members_size() - 1);
      break;
    }
    case E::kMemberLeft: {
      const auto& who = ev.member_left().identity();
      if (!member(who))
        return errc::bad_request;
      hands_.remove(who);
      erase_string(state_.mutable_hand_queue(), who);
      std::vector<std::pair<std::string, std::string>> other_parties; // identity, call
      for (const auto& c : state_.calls())
        if (c.caller() == who || c.callee() == who)
          other_parties.emplace_back(c.caller() == who ? c.callee() : c.caller(), c.call_id());
      erase_if(state_.mutable_calls(), [&](const v1::CallInfo& c) {
        return c.caller() == who || c.callee() == who;
      });
      erase_if(state_.mutable_tracks(), [&](const v1::TrackInfo& t) { return t.owner() == who; });
      erase_if(state_.mutable_members(), [&](const v1::Member& m) { return m.identity() == who; });
      reindex();
      // The other party is no longer in that call either.
      for (const auto& [party, call_id] : other_parties)
        if (auto* m = find_member(party); m && m->call_id() == call_id)
          m->clear_call_id();
      break;
    }
    case E::kPresence: {
      auto* m = find_member(ev.presence().identity());
      if (!m)
        return errc::bad_request;
      m->set_presence(ev.presence().presence());
      break;
    }
    case E::kHandRaised: {
      const auto& who = ev.hand_raised().identity();
      auto* m = find_member(who);
      if (!m || hands_.raised(who))
        return errc::bad_request;
      hands_.raise(who);
      m->set_hand_raised(true);
      state_.add_hand_queue(who);
      break;
    }
    case E::kHandLowered: {
      const auto& who = ev.hand_lowered().identity();
      if (!hands_.raised(who))
        return errc::bad_request;
      hands_.remove(who);
      erase_string(state_.mutable_hand_queue(), who);
      if (auto* m = find_member(who))
        m->set_hand_raised(false);
      break;
    }
    case E::kCall: {
      const auto& c = ev.call().call();
      if (c.call_id().empty())
        return errc::bad_request;
      int idx = find_index(state_.calls(),
                           [&](const v1::CallInfo& x) { return x.call_id() == c.call_id(); });
      if (c.phase() != phase_ended) {
        if (!member(c.caller()) || !member(c.callee()) || c.caller() == c.callee())
          return errc::bad_request;
        if (idx < 0)
          *state_.add_calls() = c;
        else
          *state_.mutable_calls(idx) = c;
        find_member(c.caller())->set_call_id(c.call_id());
        find_member(c.callee())->set_call_id(c.call_id());
      } else {
        if (idx < 0)
          return errc::bad_request;
        auto stored = state_.calls(idx);
        state_.mutable_calls()->DeleteSubrange(idx, 1);
        for (const auto* p : {&stored.caller(), &stored.callee()})
          if (auto* m = find_member(*p); m && m->call_id() == stored.call_id())
            m->clear_call_id();
      }
      break;
    }
    case E::kDevice: {
      const auto& d = ev.device();
      auto* m = find_member(d.identity());
      if (!m)
        return errc::bad_request;
      if (d.camera() != v1::CAMERA_UNSPECIFIED)
        m->set_camera(d.camera());
      if (d.screen() != v1::SCREEN_UNSPECIFIED)
        m->set_screen(d.screen());
      break;
    }
    case E::kWhiteboard: {
      const auto& op = ev.whiteboard();
      auto stroke_at = [&](const std::string& id) {
        return find_index(state_.whiteboard(), [&](const v1::WhiteboardOp& o) {
          return o.has_stroke() && o.stroke().stroke_id() == id;
        });
      };
      switch (op.op_case()) {
        case v1::WhiteboardOp::kStroke:
          if (op.stroke().stroke_id().empty() || stroke_at(op.stroke().stroke_id()) >= 0)
            return errc::bad_request;
          *state_.add_whiteboard() = op;
          break;
        case v1::WhiteboardOp::kErase: {
          auto i = stroke_at(op.erase().stroke_id());
          if (i < 0)
            return errc::bad_request;
          state_.mutable_whiteboard()->DeleteSubrange(i, 1);
          break;
        }
        case v1::WhiteboardOp::kClear: {
          auto page = op.clear().page();
          erase_if(state_.mutable_whiteboard(), [&](const v1::WhiteboardOp& o) {
            return o.has_stroke() && o.stroke().page() == page;
          });
          break;
        }
        case v1::WhiteboardOp::kPage:
          state_.set_whiteboard_page(op.page().page());
          break;
        case v1::WhiteboardOp::OP_NOT_SET:
          return errc::bad_request;
      }
      break;
    }
    case E::kTrackPublished: {
      const auto& t = ev.track_published().track();
      if (t.track_id().empty() || track(t.track_id()) || !member(t.owner()))
        return errc::bad_request;
      *state_.add_tracks() = t;
      break;
    }
    case E::kTrackUnpublished: {
      const auto& id = ev.track_unpublished().track_id();
      if (!track(id))
        return errc::bad_request;
      erase_if(state_.mutable_tracks(), [&](const v1::TrackInfo& t) { return t.track_id() == id; });
      break;
    }
    case E::kTrackMuted: {
      const auto& id = ev.track_muted().track_id();
      auto i = find_index(state_.tracks(), [&](const v1::TrackInfo& t) { return t.track_id() == id; });
      if (i < 0)
        return errc::bad_request;
      state_.mutable_tracks(i)->set_muted(ev.track_muted().muted());
      break;
    }
    case E::kClosed:
      state_.set_closed(true);
      break;
    case E::kPhotoTaken: {
      const auto& ph = ev.photo_taken();
      if (ph.photo_id().empty() || !member(ph.owner()))
        return errc::bad_request;
      *state_.add_photos() = ph;
      break;
    }
    case E::kDeviceCommand:
      break;  // history only: the state changed through DeviceChanged or PhotoTaken
    case E::KIND_NOT_SET:
      return errc::bad_request;
  }
  state_.set_seq(ev.seq());
  return errc::none;
}

namespace {

/// Who a viewer may see. An unknown viewer sees staff only; a parent sees
/// staff, itself and its child; everyone else sees everything.
struct visibility {
  bool everything = false;
  std::string self;
  std::string child;
  const classroom_model* model = nullptr;

  bool sees(const std::string& identity) const {
    if (everything)
      return true;
    if (!identity.empty() && (identity == self || identity == child))
      return true;
    auto* m = model->member(identity);
    return m && is_staff(m->role());
  }
};

visibility visibility_of(const classroom_model& model, const std::string& viewer) {
  visibility v;
  v.model = &model;
  auto* m = model.member(viewer);
  if (!m)
    return v;
  if (m->role() != v1::ROLE_PARENT) {
    v.everything = true;
    return v;
  }
  v.self = viewer;
  v.child = m->child();
  return v;
}

bool call_visible(const visibility& v, const v1::CallInfo& c) {
  if (v.everything)
    return true;
  if (v.self.empty()) // unknown viewer: calls among staff only
    return v.sees(c.caller()) && v.sees(c.callee());
  auto party = [&](const std::string& x) { return x == v.child || x == v.self; };
  return party(c.caller()) || party(c.callee());
}

} // namespace

v1::ClassroomSnapshot classroom_model::snapshot_for(const std::string& viewer) const {
  auto v = visibility_of(*this, viewer);
  if (v.everything)
    return state_;
  v1::ClassroomSnapshot out = state_;
  erase_if(out.mutable_members(), [&](const v1::Member& m) { return !v.sees(m.identity()); });
  erase_if(out.mutable_hand_queue(), [&](const std::string& x) {
    return v.self.empty() ? !v.sees(x) : x != v.child;
  });
  erase_if(out.mutable_calls(), [&](const v1::CallInfo& c) { return !call_visible(v, c); });
  erase_if(out.mutable_tracks(), [&](const v1::TrackInfo& t) { return !v.sees(t.owner()); });
  erase_if(out.mutable_photos(), [&](const v1::PhotoTaken& p) { return !v.sees(p.owner()); });
  return out;
}

bool classroom_model::member_visible_to(const std::string& subject,
                                        const std::string& viewer) const {
  return visibility_of(*this, viewer).sees(subject);
}

bool classroom_model::visible_to(const v1::ClassroomEvent& ev, const std::string& viewer) const {
  using E = v1::ClassroomEvent;
  auto v = visibility_of(*this, viewer);
  if (v.everything)
    return true;
  switch (ev.kind_case()) {
    case E::kMemberJoined: {
      // Not yet a member: judge by the role it joins with.
      const auto& m = ev.member_joined().member();
      return m.identity() == v.self || m.identity() == v.child || is_staff(m.role());
    }
    case E::kMemberLeft:
      return v.sees(ev.member_left().identity());
    case E::kPresence:
      return v.sees(ev.presence().identity());
    case E::kHandRaised:
      return v.sees(ev.hand_raised().identity());
    case E::kHandLowered:
      return v.sees(ev.hand_lowered().identity());
    case E::kDevice:
      return v.sees(ev.device().identity());
    case E::kCall:
      return call_visible(v, ev.call().call());
    case E::kTrackPublished:
      return v.sees(ev.track_published().track().owner());
    case E::kTrackUnpublished: {
      auto* t = track(ev.track_unpublished().track_id());
      return t && v.sees(t->owner());
    }
    case E::kTrackMuted: {
      auto* t = track(ev.track_muted().track_id());
      return t && v.sees(t->owner());
    }
    case E::kPhotoTaken:
      return v.sees(ev.photo_taken().owner());
    case E::kDeviceCommand:
      return v.sees(ev.device_command().target());
    default:
      return true; // created, closed, whiteboard: everyone's
  }
}

} // namespace lamplight::protocol
