#pragma once

// The one type-ID block of lamplight: every type that crosses an actor
// boundary. Register it with `add_lamplight_types` (actors/system_setup.hpp)
// in every actor system, so type names match on every node.

#include <string>
#include <vector>

#include <caf/type_id.hpp>

#include "actors/base/messages.hpp"
#include "actors/classroom/classroom_actor.hpp"
#include "actors/classroom/dispatcher_actor.hpp"
#include "actors/classroom/member_actor.hpp"
#include "actors/classroom/participant_actor.hpp"
#include "actors/classroom/session_actor.hpp"
#include "actors/classroom/track_actor.hpp"
#include "actors/cluster/cluster_actor.hpp"
#include "actors/cluster/journal_replicator.hpp"
#include "actors/cluster/node_handles.hpp"
#include "actors/node/directory_actor.hpp"
#include "actors/node/gateway_session.hpp"
#include "actors/rtc/media_host.hpp"
#include "actors/rtc/photo_receiver.hpp"
#include "actors/rtc/rtc_room.hpp"
#include "actors/rtc/sfu_room.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(lamplight, caf::first_custom_type_id)

  // -- plain types and enums
  CAF_ADD_TYPE_ID(lamplight, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::protocol::call_signal))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::protocol::wire_format))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::protocol::token_claims))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::timer_kind))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::participant_timeouts))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::classroom_spec))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::node_status))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::replication_status))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::call_outcome))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::rtc_room_stats))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::member_info))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::member_state))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::member_view))
  CAF_ADD_TYPE_ID(lamplight, (std::vector<lamplight::actors::member_info>))
  CAF_ADD_TYPE_ID(lamplight, (std::vector<lamplight::actors::member_view>))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::protocol::errc))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::media::media_worker::pipe_endpoint))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::media::piped_track))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::node_handles))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::media_leg_spec))

  // -- protobuf messages (travel as their wire bytes)
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::ClientMessage))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::ServerMessage))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Error))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Joined))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Member))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::ClassroomSnapshot))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::ClassroomEvent))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::MemberLeft))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::RaiseHand))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::LowerHand))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::AcceptHand))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::DismissHand))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::DeviceCommand))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::DeviceRequest))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::DeviceOutcome))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::WhiteboardOp))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Publish))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Published))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Unpublish))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Subscribe))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::SubscribeOffer))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::SubscribeAnswer))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Unsubscribe))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Mute))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::PreferLayer))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::TrackInfo))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::Layer))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::QnaAsk))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::QnaAsked))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::QnaUpdate))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::signal::v1::PhotoRecord))

  // -- actor handles
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::session_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::member_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::participant_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::track_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::classroom_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::dispatcher_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::directory_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::rtc_room_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::offer_sink_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::cluster_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::cluster_peer_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::room_host_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::replica_host_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::replicator_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::photo_receiver_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::media_leg_actor))
  CAF_ADD_TYPE_ID(lamplight, (lamplight::actors::media_host_actor))

CAF_END_TYPE_ID_BLOCK(lamplight)
