#include "nodes/node/http_api.hpp"

#include <chrono>

#include <caf/scoped_actor.hpp>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "actors/base/errors.hpp"
#include "protocol/token.hpp"

namespace lamplight::node {

namespace {

std::string json_object(const std::map<std::string, google::protobuf::Value>& fields) {
  google::protobuf::Struct s;
  for (auto& [k, v] : fields)
    (*s.mutable_fields())[k] = v;
  std::string out;
  (void) google::protobuf::util::MessageToJsonString(s, &out);
  return out;
}

google::protobuf::Value str(const std::string& x) {
  google::protobuf::Value v;
  v.set_string_value(x);
  return v;
}

google::protobuf::Value num(double x) {
  google::protobuf::Value v;
  v.set_number_value(x);
  return v;
}

google::protobuf::Value strings(const std::vector<std::string>& xs) {
  google::protobuf::Value v;
  auto* list = v.mutable_list_value();
  for (const auto& x : xs)
    list->add_values()->set_string_value(x);
  return v;
}

api_response error_response(int status, const std::string& message) {
  return {status, "application/json", json_object({{"error", str(message)}})};
}

std::string get(const std::map<std::string, std::string>& q, const std::string& key) {
  auto i = q.find(key);
  return i == q.end() ? std::string{} : i->second;
}

} // namespace

http_api::http_api(caf::actor_system& sys, actors::directory_actor directory,
                   const node_config& cfg, std::string secret,
                   std::shared_ptr<storage::photo_store> photos,
                   std::shared_ptr<media::worker_pool> media)
  : sys_(sys),
    directory_(std::move(directory)),
    dev_tokens_(cfg.dev_tokens_enabled()),
    dev_tokens_any_tenant_(cfg.dev_tokens_for_any_tenant()),
    admin_bind_any_(cfg.admin_bind_any),
    media_(std::move(media)),
    secret_(std::move(secret)),
    photos_(std::move(photos)) {}

std::optional<api_response> http_api::handle(const transport::http_request& req) {
  const auto& method = req.method;
  const auto& path = req.path;
  const auto& query = req.query;
  if (path.rfind("/photos/", 0) == 0) {
    if (method != "GET" && method != "HEAD")
      return error_response(405, "use GET");
    return photo(req, path.substr(8));
  }
  if (path == "/healthz") {
    if (method != "GET" && method != "HEAD")
      return error_response(405, "use GET");
    return health();
  }
  if (path == "/metrics") {
    if (method != "GET" && method != "HEAD")
      return error_response(405, "use GET");
    return metrics();
  }
  if (path == "/admin/status") {
    // Every tenant's classrooms: not there at all for other machines.
    if (!admin_allowed(req.remote_is_loopback, admin_bind_any_))
      return error_response(404, "not found");
    if (method != "GET" && method != "HEAD")
      return error_response(405, "use GET");
    return admin_status();
  }
  if (path == "/admin/drain") {
    if (!admin_allowed(req.remote_is_loopback, admin_bind_any_))
      return error_response(404, "not found");
    if (method != "POST")
      return error_response(405, "use POST");
    auto on = get(query, "on");
    auto move = get(query, "move");
    if ((on != "1" && on != "0") || (!move.empty() && move != "1" && move != "0"))
      return error_response(400, "on=1 or on=0 (and move=1 to hand classrooms over)");
    return drain(on == "1", on == "1" && move == "1");
  }
  if (path == "/gateways") {
    // Where a web page reconnects if this gateway goes (host:port of each
    // alive gateway; its token is good on all of them).
    if (method != "GET")
      return error_response(405, "use GET");
    return gateways();
  }
  if (path == "/dev/token") {
    // Not there at all unless enabled and asked from this machine.
    if (!dev_tokens_ || !req.remote_is_loopback)
      return error_response(404, "not found");
    if (method != "GET")
      return error_response(405, "use GET");
    return dev_token(query);
  }
  return std::nullopt;
}

api_response http_api::health() {
  if (shutting_down_)
    return {503, "application/json", json_object({{"status", str("shutting_down")}})};
  caf::scoped_actor self{sys_};
  api_response out;
  self->request(directory_, std::chrono::seconds(2), atoms::status::value)
    .receive(
      [&](const actors::node_status& st) {
        out.body = json_object({{"status", str("ok")},
                                {"node", str(st.node_name)},
                                {"classrooms", num(st.classrooms)},
                                {"members", num(st.members)},
                                {"online", num(st.online)},
                                {"uptimeS", num(static_cast<double>(st.uptime_s))}});
      },
      [&](caf::error& e) {
        out = error_response(503, actors::to_protocol_error(e).message);
      });
  return out;
}

std::optional<actors::node_status> http_api::ask_status(std::chrono::milliseconds timeout) {
  if (shutting_down_)
    return std::nullopt;
  std::optional<actors::node_status> out;
  caf::scoped_actor self{sys_};
  self->request(directory_, timeout, atoms::status::value)
    .receive([&](actors::node_status& st) { out = std::move(st); }, [&](caf::error&) {});
  return out;
}

api_response http_api::metrics() {
  // One budget for the whole answer: the directory (which gives each
  // classroom 1 s) first, then the media workers, asked all at once.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  auto st = ask_status(std::chrono::milliseconds(1500));
  if (!st)
    return {503, "text/plain", "the directory did not answer in time\n"};
  auto media = media_.collect(deadline);
  return {200, metrics_content_type, render_metrics(*st, media, read_process_usage())};
}

api_response http_api::admin_status() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  auto st = ask_status(std::chrono::milliseconds(1500));
  if (!st)
    return error_response(503, "the directory did not answer in time");
  auto media = media_.collect(deadline);
  api_response out{200, "application/json", render_admin_status(*st, media, read_process_usage())};
  out.headers = {{"Cache-Control", "no-store"}};
  return out;
}

api_response http_api::drain(bool on, bool move) {
  if (!cluster_)
    return error_response(503, "no cluster actor");
  bool ok = false;
  caf::scoped_actor self{sys_};
  self->request(cluster_, std::chrono::seconds(2), atoms::draining::value, on)
    .receive([&](caf::ok_atom) { ok = true; }, [&](caf::error&) {});
  if (!ok)
    return error_response(503, "the cluster actor did not answer");
  if (!move)
    return {200, "application/json", on ? "{\"draining\":true}" : "{\"draining\":false}"};
  // Hand every classroom over to its replica's node (bounded: flushes and
  // replica catch-up take seconds at most).
  std::vector<std::string> moved;
  std::string failure;
  self->request(directory_, std::chrono::seconds(30), atoms::drain::value)
    .receive([&](std::vector<std::string>& m) { moved = std::move(m); },
             [&](caf::error& e) { failure = actors::to_protocol_error(e).message; });
  if (!failure.empty())
    return error_response(503, "cannot move classrooms: " + failure);
  // Keys are "tenant/classroom" of ids in [A-Za-z0-9._-]: nothing to escape.
  std::string body = "{\"draining\":true,\"moved\":[";
  for (std::size_t i = 0; i < moved.size(); ++i)
    body += (i ? ",\"" : "\"") + moved[i] + "\"";
  return {200, "application/json", body + "]}"};
}

api_response http_api::gateways() {
  // This node first: a page tries the gateway that served it before others.
  std::vector<std::string> out;
  if (cluster_) {
    caf::scoped_actor self{sys_};
    self->request(cluster_, std::chrono::seconds(2), caf::get_atom::value)
      .receive(
        [&](const std::vector<actors::member_view>& members) {
          for (const auto& m : members)
            if (m.state == actors::member_state::alive && m.info.has_role("gateway")
                && !m.info.http.empty())
              out.push_back(m.info.http);
        },
        [](caf::error&) {});
  }
  return {200, "application/json", json_object({{"gateways", strings(out)}})};
}

api_response http_api::dev_token(const std::map<std::string, std::string>& q) {
  protocol::token_claims c;
  c.tenant = get(q, "tenant");
  c.classroom = get(q, "classroom");
  c.identity = get(q, "identity");
  c.display_name = get(q, "name");
  c.role = protocol::role_from_name(get(q, "role"));
  c.child = get(q, "child");
  c.mode = protocol::mode_from_name(get(q, "mode"));
  c.provider = get(q, "provider");
  if (c.tenant.empty() || c.classroom.empty() || c.identity.empty()
      || c.role == signal::v1::ROLE_UNSPECIFIED)
    return error_response(400, "need tenant, classroom, identity and role "
                               "(teacher|assistant|student|parent)");
  // The node's secret signs for the demo tenant only: a real tenant's
  // tokens come from its own backend, signed with its own key.
  if (c.tenant != protocol::demo_tenant && !dev_tokens_any_tenant_)
    return error_response(403, "development tokens are for the demo tenant (tenant=demo); a "
                               "tenant's tokens come from its backend (POST /api/v1/tokens)");
  if (!get(q, "mode").empty() && c.mode == signal::v1::MODE_UNSPECIFIED)
    return error_response(400, "mode is one_on_one|small_group|large_class");
  if (c.role == signal::v1::ROLE_PARENT && c.child.empty())
    return error_response(400, "a parent needs child");
  long long ttl = 7200;
  if (auto t = get(q, "ttl"); !t.empty()) {
    try {
      ttl = std::stoll(t);
    } catch (...) {
      return error_response(400, "ttl is seconds");
    }
  }
  c.expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()
                 + ttl;
  auto token = protocol::sign_token(c, secret_);
  if (token.empty())
    return error_response(400, "claims must be UTF-8");
  return {200, "text/plain", token};
}

api_response http_api::photo(const transport::http_request& req, const std::string& id) {
  auto token = get(req.query, "token");
  if (auto auth = req.header("authorization"); token.empty() && auth.rfind("Bearer ", 0) == 0)
    token = auth.substr(7);
  if (token.empty())
    return error_response(401, "a join token is needed (?token= or Authorization: Bearer)");
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto claims = protocol::verify_join_token(token, secret_, keys_, now);
  if (!claims)
    return error_response(401, claims.err().message);
  if (!photos_ || !storage::photo_store::valid_photo_id(id))
    return error_response(404, "no such photo");
  auto records = photos_->records(claims->tenant, id);
  if (records.empty())
    return error_response(404, "no such photo");
  bool staff = claims->role == signal::v1::ROLE_TEACHER
               || claims->role == signal::v1::ROLE_ASSISTANT;
  bool allowed = false;
  for (const auto& r : records)
    if (r.classroom() == claims->classroom
        && (staff || (claims->role == signal::v1::ROLE_PARENT && claims->child == r.owner())))
      allowed = true;
  if (!allowed)
    return error_response(403, "this photo is for the classroom's teachers and the child's parent");
  auto bytes = photos_->read(claims->tenant, id);
  if (!bytes)
    return error_response(500, "the photo cannot be read");
  api_response out{200, "image/jpeg", std::move(*bytes), {}};
  // Content-addressed: it never changes, but it is nobody else's to cache.
  out.headers = {{"Cache-Control", "private, max-age=86400, immutable"},
                 {"X-Content-Type-Options", "nosniff"}};
  return out;
}

} // namespace lamplight::node
