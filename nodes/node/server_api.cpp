#include "nodes/node/server_api.hpp"

#include <chrono>
#include <sstream>

#include <caf/scoped_actor.hpp>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "actors/base/errors.hpp"
#include "backend/history_labels.hpp"
#include "backend/random_id.hpp"
#include "protocol/token.hpp"
#include "storage/journal.hpp"

namespace lamplight::node {

namespace {

using protocol::errc;
namespace apiv = lamplight::api::v1;
namespace sig = lamplight::signal::v1;
using google::protobuf::util::TimeUtil;

constexpr const char* prefix = "/api/v1/";
constexpr auto actor_timeout = std::chrono::seconds(3);
constexpr int64_t day_ms = 86400000;
constexpr uint32_t max_token_ttl_s = 86400;
constexpr uint32_t default_token_ttl_s = 7200;
constexpr std::size_t max_body_bytes = 64 * 1024;

int http_status(errc code) {
  switch (code) {
    case errc::none: return 200;
    case errc::bad_request:
    case errc::unknown_message: return 400;
    case errc::payload_too_large: return 413;
    case errc::unauthenticated:
    case errc::token_expired: return 401;
    case errc::permission_denied:
    case errc::tenant_mismatch: return 403;
    case errc::not_found:
    case errc::classroom_not_found:
    case errc::not_joined: return 404;
    case errc::already_exists:
    case errc::already_joined:
    case errc::wrong_state:
    case errc::classroom_full:
    case errc::busy: return 409;
    case errc::resource_exhausted: return 429;
    case errc::timeout:
    case errc::unavailable: return 503;
    case errc::internal: return 500;
  }
  return 500;
}

api_response json(int status, const google::protobuf::Message& m) {
  std::string out;
  (void) google::protobuf::util::MessageToJsonString(m, &out);
  return {status, "application/json", std::move(out), {{"Cache-Control", "no-store"}}};
}

api_response error_of(const protocol::error& e) {
  apiv::Error body;
  body.set_code(protocol::to_string(e.code));
  body.set_message(e.message);
  return json(http_status(e.code), body);
}

api_response error_of(errc code, std::string message) {
  return error_of(protocol::error{code, std::move(message)});
}

/// A request body as `m`: strict (an unknown field is an error, so a typo
/// never passes silently as a default).
api_response no_content() { return {204, "", "", {{"Cache-Control", "no-store"}}}; }

protocol::error parse(const std::string& body, google::protobuf::Message& m) {
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(body.empty() ? "{}" : body, &m, o);
  if (!st.ok())
    return {errc::bad_request, "body: " + std::string(st.message())};
  return {};
}

std::string query(const transport::http_request& req, const std::string& key) {
  auto i = req.query.find(key);
  return i == req.query.end() ? std::string{} : i->second;
}

/// An RFC 3339 instant from the query, or `fallback` if absent.
protocol::result<int64_t> time_param(const transport::http_request& req, const std::string& key,
                                     int64_t fallback) {
  auto text = query(req, key);
  if (text.empty())
    return fallback;
  google::protobuf::Timestamp t;
  if (!TimeUtil::FromString(text, &t))
    return protocol::error{errc::bad_request, key + ": an RFC 3339 time, e.g. 2027-01-15T08:00:00Z"};
  return TimeUtil::TimestampToMilliseconds(t);
}

/// A YYYY-MM-DD day from the query, as its first millisecond (UTC).
protocol::result<int64_t> day_param(const transport::http_request& req, const std::string& key) {
  auto text = query(req, key);
  google::protobuf::Timestamp t;
  if (text.size() != 10 || !TimeUtil::FromString(text + "T00:00:00Z", &t))
    return protocol::error{errc::bad_request, key + ": a day, YYYY-MM-DD"};
  return TimeUtil::TimestampToMilliseconds(t);
}

std::vector<std::string> split_path(const std::string& rest) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(rest);
  while (std::getline(in, part, '/'))
    out.push_back(part);
  if (!rest.empty() && rest.back() == '/')
    out.push_back("");
  return out;
}

std::string csv_field(const std::string& x) {
  // Quoted always; a leading = + - @ is defused so a spreadsheet never runs
  // a name as a formula (CSV injection).
  std::string out = "\"";
  if (!x.empty() && (x[0] == '=' || x[0] == '+' || x[0] == '-' || x[0] == '@'))
    out += '\'';
  for (char c : x)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string time_text(const google::protobuf::Timestamp& t, bool present) {
  return present ? TimeUtil::ToString(t) : std::string{};
}

void add_live_state(apiv::Classroom& out, const sig::ClassroomSnapshot& s) {
  out.set_live(!s.closed());
  for (const auto& m : s.members()) {
    auto* x = out.add_members();
    x->set_identity(m.identity());
    x->set_display_name(m.display_name());
    x->set_role(backend::role_label(m.role()));
    x->set_online(m.presence() == sig::PRESENCE_ONLINE);
    x->set_hand_raised(m.hand_raised());
    x->set_call_id(m.call_id());
    x->set_child(m.child());
  }
  for (const auto& c : s.calls()) {
    auto* x = out.add_calls();
    x->set_call_id(c.call_id());
    x->set_caller(c.caller());
    x->set_callee(c.callee());
    x->set_phase(backend::call_phase_label(static_cast<sig::CallPhase>(c.phase())));
  }
  for (const auto& t : s.tracks()) {
    auto* x = out.add_tracks();
    x->set_track_id(t.track_id());
    x->set_owner(t.owner());
    x->set_kind(backend::track_kind_label(t.kind()));
    x->set_source(backend::track_source_label(t.source()));
    x->set_muted(t.muted());
  }
  for (const auto& h : s.hand_queue())
    out.add_hand_queue(h);
}

} // namespace

struct server_api::call {
  const transport::http_request& req;
  backend::api_caller who;
  std::vector<std::string> path;  // after /api/v1/
};

server_api::server_api(caf::actor_system& sys, server_api_config cfg)
  : sys_(sys), cfg_(std::move(cfg)) {}

std::optional<api_response> server_api::handle(const transport::http_request& req) {
  if (req.path.rfind(prefix, 0) != 0 || req.path == "/api/v1/openapi.json")
    return std::nullopt;
  // Every request body of this API is a small JSON object.
  if (req.body.size() > max_body_bytes)
    return error_of(errc::payload_too_large, "a request body is at most 64 KiB");
  auto who = cfg_.auth->verify(req.method, req.target, req.body, req.header("authorization"));
  if (!who) {
    auto r = error_of(who.err());
    r.headers.emplace_back("WWW-Authenticate", "LL1-HMAC-SHA256");
    return r;
  }
  if (auto wait = throttle(who->tenant); wait > 0) {
    auto secs = std::to_string((wait + 999) / 1000);
    auto r = error_of(errc::resource_exhausted,
                      "over this tenant's API rate; try again in " + secs + " s");
    r.headers.emplace_back("Retry-After", secs);
    return r;
  }
  call c{req, *who, split_path(req.path.substr(std::string(prefix).size()))};
  return route(c);
}

int64_t server_api::throttle(const std::string& tenant) {
  if (cfg_.rate_per_second <= 0)
    return 0;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
  std::lock_guard<std::mutex> lock(rates_mtx_);
  // One bucket per tenant that signed a request: bounded by the tenants.
  auto [b, _] = rates_.try_emplace(tenant, cfg_.rate_per_second, cfg_.burst);
  return b->second.take(now) ? 0 : b->second.wait_ms(now);
}

api_response server_api::route(call& c) {
  const auto& m = c.req.method;
  const auto& p = c.path;
  auto is = [&](const char* method, std::size_t parts) { return m == method && p.size() == parts; };
  if (!p.empty() && p[0] == "classrooms") {
    if (is("POST", 1))
      return create_classroom(c);
    if (is("GET", 1))
      return list_classrooms(c);
    if (is("GET", 2))
      return get_classroom(c, p[1]);
    if (is("POST", 3) && p[2] == "end")
      return end_classroom(c, p[1]);
    if (is("POST", 5) && p[2] == "members" && p[4] == "remove")
      return remove_member(c, p[1], p[3]);
    if (is("POST", 5) && p[2] == "tracks" && p[4] == "mute")
      return mute_track(c, p[1], p[3]);
    if (is("POST", 5) && p[2] == "members" && p[4] == "commands")
      return device_command(c, p[1], p[3]);
  } else if (p.size() == 1 && p[0] == "tokens" && m == "POST") {
    return issue_token(c);
  } else if (!p.empty() && p[0] == "lamps") {
    if (is("POST", 1))
      return register_lamp(c);
    if (is("GET", 1))
      return list_lamps(c);
    if (is("DELETE", 2))
      return revoke_lamp(c, p[1]);
  } else if (!p.empty() && p[0] == "guardians") {
    if (is("POST", 1))
      return bind_parent(c);
    if (is("GET", 1))
      return list_guardians(c);
    if (is("DELETE", 3))
      return unbind_parent(c, p[1], p[2]);
  } else if (!p.empty() && p[0] == "lessons") {
    if (is("GET", 1))
      return list_lessons(c);
    if (is("GET", 2))
      return get_lesson(c, p[1], false);
    if (is("GET", 3) && p[2] == "attendance.csv")
      return get_lesson(c, p[1], true);
  } else if (p.size() == 1 && p[0] == "questions" && m == "GET") {
    return list_questions(c);
  } else if (p.size() == 1 && p[0] == "keys" && m == "GET") {
    return list_keys(c);
  } else if (p.size() == 1 && p[0] == "usage" && m == "GET") {
    return usage(c);
  } else if (!p.empty() && p[0] == "webhooks") {
    if (is("POST", 1))
      return create_webhook(c);
    if (is("GET", 1))
      return list_webhooks(c);
    if (is("GET", 2) && p[1] == "deliveries")
      return webhook_deliveries(c);
    if (is("DELETE", 2))
      return remove_webhook(c, p[1]);
  }
  return error_of(errc::not_found, c.req.method + " " + c.req.path + " is not in the API");
}

// -- classrooms ---------------------------------------------------------------

api_response server_api::create_classroom(call& c) {
  apiv::CreateClassroomRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  auto made = cfg_.classrooms->create(c.who.tenant, r);
  if (!made)
    return error_of(made.err());
  return json(201, *made);
}

api_response server_api::list_classrooms(call& c) {
  auto now = backend::wall_ms();
  auto from = time_param(c.req, "from", now - day_ms);
  auto to = time_param(c.req, "to", now + 30 * day_ms);
  if (!from || !to)
    return error_of(!from ? from.err() : to.err());
  auto list = cfg_.classrooms->list(c.who.tenant, *from, *to);
  if (!list)
    return error_of(list.err());
  // Which of them run now: the directory's (and the cluster's) answer.
  std::vector<std::string> live;
  caf::scoped_actor self{sys_};
  self->request(cfg_.directory, actor_timeout, atoms::list::value, c.who.tenant)
    .receive([&](std::vector<std::string>& keys) { live = std::move(keys); },
             [](caf::error&) {});
  for (auto& room : *list->mutable_classrooms())
    for (const auto& k : live)
      if (k == storage::classroom_key(c.who.tenant, room.id()))
        room.set_live(true);
  return json(200, *list);
}

api_response server_api::get_classroom(call& c, const std::string& id) {
  auto record = cfg_.classrooms->get(c.who.tenant, id);
  if (!record && record.err().code != errc::not_found)
    return error_of(record.err());
  apiv::Classroom out;
  if (record)
    out = *record;
  else
    out.set_id(id);
  // Live state, if it runs (on this node or another of the cluster).
  bool live = false;
  caf::scoped_actor self{sys_};
  self->request(cfg_.directory, actor_timeout, atoms::lookup::value, c.who.tenant, id)
    .receive(
      [&](actors::classroom_actor& room) {
        self->request(room, actor_timeout, caf::get_atom::value, std::string{})
          .receive(
            [&](sig::ClassroomSnapshot& s) {
              live = true;
              add_live_state(out, s);
            },
            [](caf::error&) {});
      },
      [](caf::error&) {});
  if (!record && !live)
    return error_of(errc::not_found, "no classroom " + id);
  return json(200, out);
}

api_response server_api::end_classroom(call& c, const std::string& id) {
  auto record = cfg_.classrooms->end(c.who.tenant, id);
  if (!record && record.err().code != errc::not_found)
    return error_of(record.err());
  bool closed = false;
  caf::scoped_actor self{sys_};
  self->request(cfg_.directory, actor_timeout, atoms::lookup::value, c.who.tenant, id)
    .receive(
      [&](actors::classroom_actor& room) {
        self->request(room, actor_timeout, atoms::close::value,
                      std::string("ended by the institution"))
          .receive([&](caf::ok_atom) { closed = true; }, [](caf::error&) {});
      },
      [](caf::error&) {});
  if (!record && !closed)
    return error_of(errc::not_found, "no classroom " + id);
  apiv::Classroom out = record ? *record : apiv::Classroom{};
  out.set_id(id);
  return json(200, out);
}

// -- acting on a live classroom ------------------------------------------------

caf::expected<actors::classroom_actor> server_api::live_classroom(const call& c,
                                                                  const std::string& id) {
  caf::expected<actors::classroom_actor> out{caf::error{}};
  caf::scoped_actor self{sys_};
  self->request(cfg_.directory, actor_timeout, atoms::lookup::value, c.who.tenant, id)
    .receive([&](actors::classroom_actor& room) { out = std::move(room); },
             [&](caf::error&) {
               out = actors::make_error(errc::not_found, "no live classroom " + id);
             });
  return out;
}

namespace {

/// The classroom's answer to `msg...`: an empty 204, or the typed error.
template <class... Ts>
api_response ask_classroom(caf::actor_system& sys, const actors::classroom_actor& room,
                           Ts&&... msg) {
  api_response out = error_of(errc::timeout, "the classroom did not answer");
  caf::scoped_actor self{sys};
  self->request(room, actor_timeout, std::forward<Ts>(msg)...)
    .receive([&](caf::ok_atom) { out = no_content(); },
             [&](caf::error& err) { out = error_of(actors::to_protocol_error(err)); });
  return out;
}

} // namespace

api_response server_api::remove_member(call& c, const std::string& id,
                                       const std::string& identity) {
  apiv::RemoveMemberRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  if (r.reason().size() > 200)
    return error_of(errc::bad_request, "reason: at most 200 bytes");
  auto room = live_classroom(c, id);
  if (!room)
    return error_of(actors::to_protocol_error(room.error()));
  sig::MemberLeft x;
  x.set_identity(identity);
  x.set_reason(r.reason());
  return ask_classroom(sys_, *room, atoms::moderate::value, x);
}

api_response server_api::mute_track(call& c, const std::string& id, const std::string& track) {
  apiv::MuteTrackRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  auto room = live_classroom(c, id);
  if (!room)
    return error_of(actors::to_protocol_error(room.error()));
  sig::Mute x;
  x.set_track_id(track);
  x.set_muted(r.muted());
  return ask_classroom(sys_, *room, atoms::moderate::value, x);
}

api_response server_api::device_command(call& c, const std::string& id,
                                        const std::string& identity) {
  apiv::DeviceCommandRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  sig::DeviceCommand cmd;
  cmd.set_target(identity);
  cmd.set_deadline_ms(r.deadline_ms());
  switch (r.action_case()) {
    case apiv::DeviceCommandRequest::kCapturePhoto:
      cmd.mutable_capture_photo()->set_width(r.capture_photo().width());
      cmd.mutable_capture_photo()->set_height(r.capture_photo().height());
      break;
    case apiv::DeviceCommandRequest::kSwitchCamera: {
      const auto& cam = r.switch_camera().camera();
      if (cam != "face" && cam != "desk")
        return error_of(errc::bad_request, "switchCamera.camera: face | desk");
      cmd.mutable_switch_camera()->set_camera(cam == "face" ? sig::CAMERA_FACE : sig::CAMERA_DESK);
      break;
    }
    case apiv::DeviceCommandRequest::kSwitchScreen: {
      const auto& screen = r.switch_screen().screen();
      if (screen != "video" && screen != "whiteboard")
        return error_of(errc::bad_request, "switchScreen.screen: video | whiteboard");
      cmd.mutable_switch_screen()->set_screen(screen == "video" ? sig::SCREEN_VIDEO
                                                                : sig::SCREEN_WHITEBOARD);
      break;
    }
    case apiv::DeviceCommandRequest::ACTION_NOT_SET:
      return error_of(errc::bad_request, "one of capturePhoto, switchCamera, switchScreen");
  }
  auto room = live_classroom(c, id);
  if (!room)
    return error_of(actors::to_protocol_error(room.error()));
  api_response out = error_of(errc::timeout, "the classroom did not answer");
  caf::scoped_actor self{sys_};
  self->request(*room, actor_timeout, atoms::moderate::value, cmd, r.on_behalf_of())
    .receive(
      [&](std::string& command_id) {
        apiv::DeviceCommandAccepted a;
        a.set_command_id(command_id);
        out = json(202, a);
      },
      [&](caf::error& err) { out = error_of(actors::to_protocol_error(err)); });
  return out;
}

// -- lamps and parents -----------------------------------------------------------

namespace {

void set_time(google::protobuf::Timestamp* t, int64_t ms) {
  *t = TimeUtil::MillisecondsToTimestamp(ms);
}

apiv::Lamp lamp_of(const backend::lamp& l) {
  apiv::Lamp out;
  out.set_serial(l.serial);
  out.set_student(l.student);
  set_time(out.mutable_created_at(), l.created_ms);
  if (l.revoked_ms != 0)
    set_time(out.mutable_revoked_at(), l.revoked_ms);
  return out;
}

apiv::Guardian guardian_of(const backend::guardian& g) {
  apiv::Guardian out;
  out.set_parent(g.parent);
  out.set_child(g.child);
  set_time(out.mutable_created_at(), g.created_ms);
  return out;
}

} // namespace

api_response server_api::register_lamp(call& c) {
  apiv::RegisterLampRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  auto made = cfg_.lamps->register_lamp(c.who.tenant, r.serial(), r.student());
  if (!made)
    return error_of(made.err());
  apiv::LampRegistered out;
  *out.mutable_lamp() = lamp_of(made->device);
  out.set_secret(made->secret);
  return json(201, out);
}

api_response server_api::list_lamps(call& c) {
  auto all = cfg_.lamps->lamps(c.who.tenant);
  if (!all)
    return error_of(all.err());
  apiv::LampList out;
  for (const auto& l : *all)
    *out.add_lamps() = lamp_of(l);
  return json(200, out);
}

api_response server_api::revoke_lamp(call& c, const std::string& serial) {
  if (auto err = cfg_.lamps->revoke_lamp(c.who.tenant, serial); err.code != errc::none)
    return error_of(err);
  return no_content();
}

api_response server_api::bind_parent(call& c) {
  apiv::BindParentRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  auto g = cfg_.lamps->bind_parent(c.who.tenant, r.parent(), r.child());
  if (!g)
    return error_of(g.err());
  return json(201, guardian_of(*g));
}

api_response server_api::list_guardians(call& c) {
  auto all = cfg_.lamps->guardians(c.who.tenant);
  if (!all)
    return error_of(all.err());
  apiv::GuardianList out;
  for (const auto& g : *all)
    *out.add_guardians() = guardian_of(g);
  return json(200, out);
}

api_response server_api::unbind_parent(call& c, const std::string& parent,
                                       const std::string& child) {
  if (auto err = cfg_.lamps->unbind_parent(c.who.tenant, parent, child); err.code != errc::none)
    return error_of(err);
  return no_content();
}

// -- tokens -------------------------------------------------------------------

api_response server_api::issue_token(call& c) {
  apiv::IssueTokenRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  protocol::token_claims claims;
  claims.tenant = c.who.tenant;
  claims.classroom = r.classroom();
  claims.identity = r.identity();
  claims.display_name = r.display_name();
  claims.role = protocol::role_from_name(r.role());
  claims.child = r.child();
  if (!storage::valid_journal_id(r.identity()))
    return error_of(errc::bad_request, "identity: 1..64 of [A-Za-z0-9._-]");
  if (claims.role == sig::ROLE_UNSPECIFIED)
    return error_of(errc::bad_request, "role: teacher | assistant | student | parent");
  if ((claims.role == sig::ROLE_PARENT) != !claims.child.empty())
    return error_of(errc::bad_request, "child: a parent's, and only a parent's");
  if (r.display_name().size() > 200)
    return error_of(errc::bad_request, "displayName: at most 200 bytes");
  if (r.ttl_seconds() > max_token_ttl_s)
    return error_of(errc::bad_request, "ttlSeconds: at most 86400");
  // Tokens are for classrooms the institution set up: the record decides
  // the classroom's mode, capacity and provider, not the token.
  auto record = cfg_.classrooms->get(c.who.tenant, r.classroom());
  if (!record)
    return error_of(record.err().code == errc::not_found
                      ? protocol::error{errc::not_found, "no classroom " + r.classroom()
                                                           + " (create it first)"}
                      : record.err());
  if (record->has_ended_at())
    return error_of(errc::wrong_state, "classroom " + r.classroom() + " has ended");
  // A parent watches only a child the institution bound to it.
  if (claims.role == sig::ROLE_PARENT) {
    auto bound = cfg_.lamps->is_guardian(c.who.tenant, claims.identity, claims.child);
    if (!bound)
      return error_of(bound.err());
    if (!*bound)
      return error_of(errc::permission_denied, claims.identity + " is not bound to "
                                                 + claims.child + " (POST /api/v1/guardians)");
  }
  auto key = cfg_.keys(c.who.kid);
  if (!key || key->tenant != c.who.tenant)  // revoked since the request was checked
    return error_of(errc::unauthenticated, "unknown or revoked key");
  auto now_s = backend::wall_ms() / 1000;
  claims.expires_at = now_s + (r.ttl_seconds() != 0 ? r.ttl_seconds() : default_token_ttl_s);
  auto token = protocol::sign_token(claims, key->secret, c.who.kid);
  if (token.empty())
    return error_of(errc::bad_request, "names must be UTF-8");
  apiv::IssuedToken out;
  out.set_token(token);
  *out.mutable_expires_at() = TimeUtil::SecondsToTimestamp(claims.expires_at);
  out.set_kid(c.who.kid);
  return json(200, out);
}

// -- history ------------------------------------------------------------------

namespace {

/// ?classroom=&from=&to=&limit= of the history's lists.
protocol::result<backend::lesson_filter> filter_of(const transport::http_request& req) {
  backend::lesson_filter f;
  f.classroom = query(req, "classroom");
  auto from = time_param(req, "from", 0);
  auto to = time_param(req, "to", INT64_MAX);
  if (!from || !to)
    return !from ? from.err() : to.err();
  f.from_ms = *from;
  f.to_ms = *to;
  if (auto limit = query(req, "limit"); !limit.empty()) {
    if (limit.size() > 4 || limit.find_first_not_of("0123456789") != std::string::npos)
      return protocol::error{errc::bad_request, "limit: 1..1000"};
    f.limit = static_cast<uint32_t>(std::stoul(limit));
    if (f.limit == 0 || f.limit > 1000)
      return protocol::error{errc::bad_request, "limit: 1..1000"};
  }
  return f;
}

} // namespace

api_response server_api::list_lessons(call& c) {
  auto f = filter_of(c.req);
  if (!f)
    return error_of(f.err());
  auto list = cfg_.history->lessons(c.who.tenant, *f);
  if (!list)
    return error_of(list.err());
  return json(200, *list);
}

api_response server_api::list_questions(call& c) {
  auto f = filter_of(c.req);
  if (!f)
    return error_of(f.err());
  auto list = cfg_.history->questions(c.who.tenant, *f);
  if (!list)
    return error_of(list.err());
  return json(200, *list);
}

api_response server_api::get_lesson(call& c, const std::string& id, bool csv) {
  auto d = cfg_.history->lesson(c.who.tenant, id);
  if (!d)
    return error_of(d.err());
  if (!csv)
    return json(200, *d);
  std::string out = "identity,display_name,role,joined_at,left_at,left_reason,minutes_present\n";
  for (const auto& a : d->attendance())
    for (const auto& s : a.stays())
      out += csv_field(a.identity()) + "," + csv_field(a.display_name()) + ","
             + csv_field(a.role()) + "," + time_text(s.joined_at(), s.has_joined_at()) + ","
             + time_text(s.left_at(), s.has_left_at()) + "," + csv_field(s.left_reason()) + ","
             + std::to_string(a.minutes_present()) + "\n";
  return {200, "text/csv; charset=utf-8", std::move(out),
          {{"Content-Disposition", "attachment; filename=\"attendance-" + id + ".csv\""},
           {"Cache-Control", "no-store"}}};
}

api_response server_api::usage(call& c) {
  auto from = day_param(c.req, "from");
  auto to = day_param(c.req, "to");
  if (!from || !to)
    return error_of(!from ? from.err() : to.err());
  auto u = cfg_.history->usage(c.who.tenant, *from, *to + day_ms);
  if (!u)
    return error_of(u.err());
  return json(200, *u);
}

// -- webhooks -----------------------------------------------------------------

namespace {

apiv::WebhookEndpoint endpoint_of(const backend::webhook_endpoint& e) {
  apiv::WebhookEndpoint out;
  out.set_id(e.id);
  out.set_url(e.url);
  for (const auto& t : e.events)
    out.add_events(t);
  *out.mutable_created_at() = TimeUtil::MillisecondsToTimestamp(e.created_ms);
  return out;
}

} // namespace

api_response server_api::create_webhook(call& c) {
  apiv::CreateWebhookRequest r;
  if (auto err = parse(c.req.body, r); err.code != errc::none)
    return error_of(err);
  auto made = cfg_.webhooks->create(c.who.tenant, r.url(),
                                    std::vector<std::string>(r.events().begin(), r.events().end()));
  if (!made)
    return error_of(made.err());
  apiv::WebhookCreated out;
  *out.mutable_endpoint() = endpoint_of(made->endpoint);
  out.set_secret(made->secret);
  return json(201, out);
}

api_response server_api::list_webhooks(call& c) {
  auto all = cfg_.webhooks->list(c.who.tenant);
  if (!all)
    return error_of(all.err());
  apiv::WebhookEndpointList out;
  for (const auto& e : *all)
    *out.add_endpoints() = endpoint_of(e);
  return json(200, out);
}

api_response server_api::remove_webhook(call& c, const std::string& id) {
  if (auto err = cfg_.webhooks->remove(c.who.tenant, id); err.code != errc::none)
    return error_of(err);
  return {204, "application/json", "", {}};
}

api_response server_api::webhook_deliveries(call& c) {
  int64_t limit = 100;
  if (auto text = query(c.req, "limit"); !text.empty()) {
    if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos)
      return error_of(errc::bad_request, "limit: 1..1000");
    limit = std::stoll(text);
  }
  auto log = cfg_.webhooks->deliveries(c.who.tenant, limit, query(c.req, "failed") == "1");
  if (!log)
    return error_of(log.err());
  apiv::WebhookDeliveryList out;
  for (const auto& d : *log) {
    auto* x = out.add_deliveries();
    x->set_event_id(d.event_id);
    x->set_endpoint(d.endpoint);
    x->set_attempt(static_cast<uint32_t>(d.attempt));
    *x->mutable_at() = TimeUtil::MillisecondsToTimestamp(d.at_ms);
    x->set_status_code(static_cast<int32_t>(d.status_code));
    x->set_error(d.error);
    x->set_duration_ms(static_cast<double>(d.duration_ms));
  }
  return json(200, out);
}

// -- keys ---------------------------------------------------------------------

api_response server_api::list_keys(call& c) {
  auto keys = cfg_.tenants->keys(c.who.tenant);
  if (!keys)
    return error_of(keys.err());
  auto now = backend::wall_ms();
  apiv::ApiKeyList out;
  for (const auto& k : *keys) {
    auto* x = out.add_keys();
    x->set_kid(k.kid);
    *x->mutable_created_at() = TimeUtil::MillisecondsToTimestamp(k.created_ms);
    if (k.expires_ms)
      *x->mutable_expires_at() = TimeUtil::MillisecondsToTimestamp(k.expires_ms);
    if (k.revoked_ms)
      *x->mutable_revoked_at() = TimeUtil::MillisecondsToTimestamp(k.revoked_ms);
    x->set_live(k.live(now));
  }
  return json(200, out);
}

} // namespace lamplight::node
