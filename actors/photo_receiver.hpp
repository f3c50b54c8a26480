#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/photo_store.hpp"
#include "media/media_worker.hpp"

namespace lamplight::actors {

/// One per classroom with media: the node's end of its lamps'
/// "lamplight.photo" channels, which the media worker hands over instead of
/// relaying. It assembles and checks each upload (protocol::photo_assembler),
/// stores it durably (photo_store) and answers the lamp on its channel,
/// stored or failed. It writes files and fsyncs, so it runs detached: off
/// CAF's scheduler threads, and off the media thread that feeds it.
using photo_receiver_actor = caf::typed_actor<
  /// media peer, the lamp's identity, binary?, the message's bytes.
  caf::reacts_to<atoms::photo, uint64_t, std::string, bool, std::string>>;

struct photo_receiver_config {
  std::string tenant;
  std::string classroom;
  std::shared_ptr<photo_store> store;
  std::shared_ptr<media::media_worker> worker;
};

photo_receiver_actor spawn_photo_receiver(caf::actor_system& sys, photo_receiver_config cfg);

} // namespace lamplight::actors
