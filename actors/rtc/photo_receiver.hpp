#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/base/atoms.hpp"
#include "storage/photo_store.hpp"

namespace lamplight::actors {

/// One per classroom with media, on the classroom's node (where its photos
/// are stored and replicated from): the end of its lamps' "lamplight.photo"
/// channels, which media workers hand over instead of relaying, through
/// the media room that holds the lamp's connection (on this node or a
/// media node). It assembles and checks each upload
/// (protocol::photo_assembler), stores it durably (photo_store) and
/// replies what the room sends back to the lamp on its channel: stored or
/// failed, or nothing yet. It writes files and fsyncs, so it runs
/// detached, off CAF's scheduler threads.
using photo_receiver_actor = caf::typed_actor<
  /// media peer, the lamp's identity, binary?, the message's bytes ->
  /// the control message to answer with ("": none).
  caf::replies_to<atoms::photo, uint64_t, std::string, bool, std::string>::with<std::string>>;

struct photo_receiver_config {
  std::string tenant;
  std::string classroom;
  std::shared_ptr<storage::photo_store> store;
};

photo_receiver_actor spawn_photo_receiver(caf::actor_system& sys, photo_receiver_config cfg);

} // namespace lamplight::actors
