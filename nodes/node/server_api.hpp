#pragma once

// The server API an institution's backend drives lamplight with:
// /api/v1/..., HTTP + JSON (the messages of protocol/proto/lamplight/api/v1/
// api.proto in protobuf's JSON mapping), each request signed with one of the
// tenant's API keys (backend/api_auth.hpp says how, and why a signature
// rather than a bearer secret). Everything a request reaches is the signing
// key's tenant's: another tenant's classroom, lesson or webhook is not found,
// exactly like one that does not exist. The contract, as OpenAPI, is
// web/api/v1/openapi.json (served unauthenticated at /api/v1/openapi.json).
//
//   POST   /api/v1/classrooms                 CreateClassroomRequest -> 201 Classroom
//   GET    /api/v1/classrooms?from=&to=       ClassroomList (RFC 3339 bounds on the
//                                             scheduled start; live ones flagged)
//   GET    /api/v1/classrooms/{id}            Classroom, with members, calls, tracks
//                                             and hands while live
//   POST   /api/v1/classrooms/{id}/end        Classroom (ended; a live lesson closes)
//   POST   /api/v1/classrooms/{id}/members/{identity}/remove   RemoveMemberRequest -> 204
//   POST   /api/v1/classrooms/{id}/tracks/{track}/mute         MuteTrackRequest -> 204
//   POST   /api/v1/classrooms/{id}/members/{identity}/commands DeviceCommandRequest
//                                             -> 202 DeviceCommandAccepted (a lamp's command,
//                                             on a teacher's behalf)
//   POST   /api/v1/tokens                     IssueTokenRequest -> IssuedToken (a parent's
//                                             only for a child bound to it)
//   POST   /api/v1/lamps                      RegisterLampRequest -> 201 LampRegistered
//   GET    /api/v1/lamps                      LampList
//   DELETE /api/v1/lamps/{serial}             204 (revoked: its next sign-in is refused)
//   POST   /api/v1/guardians                  BindParentRequest -> 201 Guardian
//   GET    /api/v1/guardians                  GuardianList
//   DELETE /api/v1/guardians/{parent}/{child} 204
//   GET    /api/v1/lessons?classroom=&from=&to=&limit=   LessonList, newest first
//   GET    /api/v1/lessons/{id}               LessonDetail
//   GET    /api/v1/lessons/{id}/attendance.csv   the same attendance as CSV
//   GET    /api/v1/questions?classroom=&from=&to=&limit=   QuestionList (Q&A), newest first
//   GET    /api/v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD   Usage (both days included)
//   POST   /api/v1/webhooks                   CreateWebhookRequest -> 201 WebhookCreated
//   GET    /api/v1/webhooks                   WebhookEndpointList
//   DELETE /api/v1/webhooks/{id}              204
//   GET    /api/v1/keys                       ApiKeyList (the tenant's keys, no secrets)
//   GET    /api/v1/webhooks/deliveries?failed=1&limit=   WebhookDeliveryList
//
// Each tenant's requests on a node are limited (a token bucket: a rate and a
// burst): past it, 429 resource_exhausted with Retry-After, so one tenant's
// flood never slows another's.
//
// Errors: the HTTP status of the protocol::errc and an Error body
// {"code": "<errc>", "message": "..."}.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/fwd.hpp>

#include "actors/node/directory_actor.hpp"
#include "backend/api_auth.hpp"
#include "backend/classroom_registry.hpp"
#include "backend/history_queries.hpp"
#include "backend/lamps.hpp"
#include "backend/tenant_registry.hpp"
#include "backend/webhooks.hpp"
#include "nodes/node/api_response.hpp"
#include "protocol/token_bucket.hpp"
#include "transport/websocket_server.hpp"

namespace lamplight::node {

struct server_api_config {
  actors::directory_actor directory;
  std::shared_ptr<backend::api_request_verifier> auth;
  protocol::key_lookup keys;  // the secret of the key a request was signed with
  std::shared_ptr<backend::classroom_registry> classrooms;
  std::shared_ptr<backend::history_store> history;
  std::shared_ptr<backend::webhook_registry> webhooks;
  std::shared_ptr<backend::tenant_registry> tenants;
  std::shared_ptr<backend::lamp_registry> lamps;
  /// Requests a second per tenant, and at once (a token bucket each);
  /// rate 0: no limit. Past it: 429 resource_exhausted with Retry-After.
  double rate_per_second = 50;
  double burst = 100;
};

class server_api {
public:
  server_api(caf::actor_system& sys, server_api_config cfg);

  /// nullopt: not a server API path (the OpenAPI file is the web root's).
  std::optional<api_response> handle(const transport::http_request& req);

private:
  struct call;  // one authenticated request
  api_response route(call& c);
  api_response create_classroom(call& c);
  api_response list_classrooms(call& c);
  api_response get_classroom(call& c, const std::string& id);
  api_response end_classroom(call& c, const std::string& id);
  api_response remove_member(call& c, const std::string& id, const std::string& identity);
  api_response mute_track(call& c, const std::string& id, const std::string& track);
  api_response device_command(call& c, const std::string& id, const std::string& identity);
  /// The tenant's classroom `id` if it runs (on any node), else not_found.
  caf::expected<actors::classroom_actor> live_classroom(const call& c, const std::string& id);
  api_response issue_token(call& c);
  api_response register_lamp(call& c);
  api_response list_lamps(call& c);
  api_response revoke_lamp(call& c, const std::string& serial);
  api_response bind_parent(call& c);
  api_response list_guardians(call& c);
  api_response unbind_parent(call& c, const std::string& parent, const std::string& child);
  api_response list_lessons(call& c);
  api_response list_questions(call& c);
  api_response get_lesson(call& c, const std::string& id, bool csv);
  api_response usage(call& c);
  api_response create_webhook(call& c);
  api_response list_webhooks(call& c);
  api_response remove_webhook(call& c, const std::string& id);
  api_response webhook_deliveries(call& c);
  api_response list_keys(call& c);
  /// Milliseconds `tenant` must wait before its next request (0: go on).
  int64_t throttle(const std::string& tenant);

  caf::actor_system& sys_;
  server_api_config cfg_;
  std::mutex rates_mtx_;  // requests come on every I/O thread
  std::unordered_map<std::string, protocol::token_bucket> rates_;  // by tenant
};

} // namespace lamplight::node
