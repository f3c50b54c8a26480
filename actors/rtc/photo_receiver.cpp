#include "actors/rtc/photo_receiver.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/clock.hpp"
#include "protocol/photo_transfer.hpp"

namespace lamplight::actors {

namespace {

using status = protocol::photo_assembler::status;

/// An upload that has not moved for this long was abandoned.
constexpr int64_t abandoned_ms = 60'000;

struct photo_receiver_state {
  photo_receiver_config cfg;
  /// One upload at a time per media peer (a lamp's data channel), with
  /// when it last moved: a lamp that vanished mid-upload must not keep
  /// megabytes here for the classroom's lifetime.
  struct upload {
    protocol::photo_assembler assembler;
    int64_t last_ms = 0;
  };
  std::map<uint64_t, upload> uploads;
  static inline const char* name = "lamplight.photo_receiver";
};

std::string answer(const std::string& type, const std::string& command_id,
                   const std::string& photo_id, const std::string& reason) {
  signal::v1::PhotoControl m;
  m.set_type(type);
  m.set_command_id(command_id);
  m.set_photo_id(photo_id);
  m.set_reason(reason);
  return protocol::write_photo_control(m);
}

photo_receiver_actor::behavior_type
photo_receiver_impl(photo_receiver_actor::stateful_pointer<photo_receiver_state> self,
                    photo_receiver_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](atoms::photo, uint64_t peer, const std::string& owner, bool binary,
        const std::string& data) -> std::string {
      auto& st = self->state;
      auto now = wall_ms();
      for (auto i = st.uploads.begin(); i != st.uploads.end();)
        i = i->first != peer && now - i->second.last_ms > abandoned_ms ? st.uploads.erase(i)
                                                                      : std::next(i);
      auto& entry = st.uploads[peer];
      entry.last_ms = now;
      auto& up = entry.assembler;
      auto s = binary ? up.on_binary(reinterpret_cast<const uint8_t*>(data.data()), data.size())
                      : up.on_text(data);
      auto cmd = up.header().command_id();  // a copy: the entry may go below
      if (s == status::failed) {
        auto out = answer("photo-failed", cmd, "", up.reason());
        st.uploads.erase(peer);
        return out;
      }
      if (s != status::complete)
        return {};
      signal::v1::PhotoRecord rec;
      rec.set_tenant(st.cfg.tenant);
      rec.set_classroom(st.cfg.classroom);
      rec.set_owner(owner);
      rec.set_command_id(cmd);
      rec.set_width(up.header().width());
      rec.set_height(up.header().height());
      rec.set_stored_at_ms(wall_ms());
      auto id = st.cfg.store->put(rec, up.take());
      st.uploads.erase(peer);
      if (id)
        return answer("photo-stored", cmd, *id, "");
      return answer("photo-failed", cmd, "", "the node could not store it: " + id.err().message);
    },
  };
}

} // namespace

photo_receiver_actor spawn_photo_receiver(caf::actor_system& sys, photo_receiver_config cfg) {
  return sys.spawn<caf::detached>(photo_receiver_impl, std::move(cfg));
}

} // namespace lamplight::actors
