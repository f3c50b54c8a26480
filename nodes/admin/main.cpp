// lamplight-admin: the operator's tool for tenants (institutions) and their
// API keys, on a node's database (<data-dir>/lamplight.db, or the cluster's
// PostgreSQL given with --database). It works beside a
// running node: the node reads keys at every join, so what this changes
// holds from the next join on, without a restart. Each command prints one
// JSON object per line (a key's secret only when the key is made).

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "backend/api_auth.hpp"
#include "backend/random_id.hpp"
#include "backend/tenant_registry.hpp"
#include "protocol/token.hpp"
#include "transport/websocket_client.hpp"

namespace {

using namespace lamplight;
namespace pb = google::protobuf;

constexpr const char* usage = R"(usage: lamplight-admin [--data-dir DIR | --database URI] COMMAND
  tenant create ID NAME       a new tenant (id: 1..64 of [A-Za-z0-9._-])
  tenant list
  tenant suspend ID           its keys admit nobody until resumed
  tenant resume ID
  tenant delete ID            the tenant and its keys
  tenant quota ID CLASSROOMS PARTICIPANTS PHOTO_BYTES
                              what it may use at once (0: no limit):
                              classrooms with a lesson running, members
                              present, bytes of homework photos stored
  key create TENANT           a new API key: prints its kid and secret once
  key list TENANT
  key rotate TENANT KID [GRACE_SECONDS]
                              a new key; KID stays valid GRACE_SECONDS (0)
  key revoke TENANT KID
  token KID SECRET TENANT CLASSROOM IDENTITY ROLE [MODE] [TTL_SECONDS]
                              a join token signed with that key, as a
                              tenant's backend makes them (ROLE: teacher,
                              assistant, student, parent; MODE: one_on_one,
                              small_group, large_class)
  api KID SECRET METHOD TARGET [BODY]
                              one server API request (e.g. GET /api/v1/lessons)
                              signed with that key, sent to the node at
                              $LAMPLIGHT_NODE (default 127.0.0.1:7443); prints
                              the answer's body; exit 0 for 2xx, 1 otherwise
DIR defaults to $LAMPLIGHT_DATA_DIR, else lamplight-data (the node's default);
the database is DIR/lamplight.db unless URI (or $LAMPLIGHT_DATABASE) names
another: a SQLite file, or a cluster's postgresql://user@host/db.
)";

using row = std::vector<std::pair<std::string, pb::Value>>;

pb::Value str(const std::string& s) {
  pb::Value v;
  v.set_string_value(s);
  return v;
}

pb::Value num(int64_t n) {
  pb::Value v;
  v.set_number_value(static_cast<double>(n));
  return v;
}

void print(const row& fields) {
  pb::Struct s;
  for (const auto& [k, v] : fields)
    (*s.mutable_fields())[k] = v;
  std::string json;
  (void) pb::util::MessageToJsonString(s, &json);
  std::cout << json << "\n";
}

int fail(const protocol::error& e) {
  std::cerr << "lamplight-admin: " << protocol::to_string(e.code) << ": " << e.message << "\n";
  return e.code == protocol::errc::not_found ? 3 : 1;
}

int usage_error() {
  std::cerr << usage;
  return 2;
}

row tenant_row(const backend::tenant& t) {
  return {{"id", str(t.id)},
          {"name", str(t.name)},
          {"status", str(backend::to_string(t.status))},
          {"created_ms", num(t.created_ms)},
          {"max_classrooms", num(t.quota.classrooms)},
          {"max_participants", num(t.quota.participants)},
          {"max_photo_bytes", num(t.quota.photo_bytes)}};
}

row key_row(const backend::api_key& k, int64_t now_ms) {
  row r{{"kid", str(k.kid)}, {"tenant", str(k.tenant)}, {"created_ms", num(k.created_ms)},
        {"live", pb::Value()}};
  r.back().second.set_bool_value(k.live(now_ms));
  if (k.expires_ms)
    r.emplace_back("expires_ms", num(k.expires_ms));
  if (k.revoked_ms)
    r.emplace_back("revoked_ms", num(k.revoked_ms));
  return r;
}

/// A whole number of at most `digits` digits, or -1.
int64_t whole_number(const std::string& s, std::size_t digits = 9) {
  if (s.empty() || s.size() > digits || s.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  return std::stoll(s);
}

int token(const std::vector<std::string>& a) {
  if (a.size() < 7 || a.size() > 9)
    return usage_error();
  protocol::token_claims c;
  c.tenant = a[3];
  c.classroom = a[4];
  c.identity = a[5];
  c.role = protocol::role_from_name(a[6]);
  if (a.size() > 7) {
    c.mode = protocol::mode_from_name(a[7]);
    if (c.mode == signal::v1::MODE_UNSPECIFIED)
      return usage_error();
  }
  auto ttl = a.size() > 8 ? whole_number(a[8]) : 3600;
  if (c.role == signal::v1::ROLE_UNSPECIFIED || ttl <= 0)
    return usage_error();
  c.expires_at = backend::wall_ms() / 1000 + ttl;
  auto t = protocol::sign_token(c, a[2], a[1]);
  if (t.empty())
    return fail({protocol::errc::bad_request, "claims must be UTF-8, a kid at most 64 bytes"});
  std::cout << t << "\n";
  return 0;
}

/// A signed request to a node's server API, as an institution's backend
/// makes them (backend/api_auth.hpp).
int api(const std::vector<std::string>& a) {
  if (a.size() < 5 || a.size() > 6)
    return usage_error();
  const char* env = std::getenv("LAMPLIGHT_NODE");
  std::string node = env && *env ? env : "127.0.0.1:7443";
  auto colon = node.rfind(':');
  auto port = colon == std::string::npos ? -1 : whole_number(node.substr(colon + 1));
  if (port <= 0 || port > 65535)
    return fail({protocol::errc::bad_request, "LAMPLIGHT_NODE is host:port"});
  const std::string body = a.size() == 6 ? a[5] : "";
  auto nonce = backend::random_hex(12);
  auto auth = backend::sign_api_request(a[1], a[2], a[3], a[4], body, backend::wall_ms() / 1000, nonce);
  auto r = transport::http_request_once(node.substr(0, colon), static_cast<uint16_t>(port), a[3],
                                        a[4], body, std::chrono::seconds(10),
                                        {{"Authorization", auth},
                                         {"Content-Type", "application/json"}});
  if (r.status == 0)
    return fail({protocol::errc::unavailable, "no answer from " + node});
  std::cout << r.body << (r.body.empty() || r.body.back() == '\n' ? "" : "\n");
  if (r.status < 200 || r.status > 299) {
    std::cerr << "lamplight-admin: HTTP " << r.status << "\n";
    return 1;
  }
  return 0;
}

int run(backend::tenant_registry& reg, const std::vector<std::string>& a) {
  const auto& what = a[0];
  const std::string verb = a.size() > 1 ? a[1] : "";
  if (what == "tenant" && verb == "create" && a.size() == 4) {
    auto t = reg.create_tenant(a[2], a[3]);
    if (!t)
      return fail(t.err());
    print(tenant_row(*t));
  } else if (what == "tenant" && verb == "list" && a.size() == 2) {
    auto all = reg.tenants();
    if (!all)
      return fail(all.err());
    for (const auto& t : *all)
      print(tenant_row(t));
  } else if (what == "tenant" && (verb == "suspend" || verb == "resume") && a.size() == 3) {
    auto err = reg.set_status(a[2], verb == "suspend" ? backend::tenant_status::suspended
                                                      : backend::tenant_status::active);
    if (err.code != protocol::errc::none)
      return fail(err);
    print(tenant_row(*reg.find_tenant(a[2])));
  } else if (what == "tenant" && verb == "quota" && a.size() == 6) {
    backend::tenant_quota q{whole_number(a[3]), whole_number(a[4]), whole_number(a[5], 15)};
    if (q.classrooms < 0 || q.participants < 0 || q.photo_bytes < 0)
      return usage_error();
    if (auto err = reg.set_quota(a[2], q); err.code != protocol::errc::none)
      return fail(err);
    print(tenant_row(*reg.find_tenant(a[2])));
  } else if (what == "tenant" && verb == "delete" && a.size() == 3) {
    if (auto err = reg.delete_tenant(a[2]); err.code != protocol::errc::none)
      return fail(err);
    print({{"deleted", str(a[2])}});
  } else if ((what == "key" && verb == "create" && a.size() == 3)
             || (what == "key" && verb == "rotate" && (a.size() == 4 || a.size() == 5))) {
    auto grace = a.size() == 5 ? whole_number(a[4]) : 0;
    if (grace < 0)
      return usage_error();
    auto k = verb == "create" ? reg.create_key(a[2]) : reg.rotate_key(a[2], a[3], grace * 1000);
    if (!k)
      return fail(k.err());
    auto r = key_row(k->key, backend::wall_ms());
    r.emplace_back("secret", str(k->secret));
    print(r);
  } else if (what == "key" && verb == "list" && a.size() == 3) {
    auto keys = reg.keys(a[2]);
    if (!keys)
      return fail(keys.err());
    for (const auto& k : *keys)
      print(key_row(k, backend::wall_ms()));
  } else if (what == "key" && verb == "revoke" && a.size() == 4) {
    if (auto err = reg.revoke_key(a[2], a[3]); err.code != protocol::errc::none)
      return fail(err);
    print({{"revoked", str(a[3])}});
  } else {
    return usage_error();
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("LAMPLIGHT_DATA_DIR");
  std::string data_dir = env && *env ? env : "lamplight-data";
  const char* db_env = std::getenv("LAMPLIGHT_DATABASE");
  std::string database = db_env ? db_env : "";
  while (args.size() >= 2 && (args[0] == "--data-dir" || args[0] == "--database")) {
    (args[0] == "--data-dir" ? data_dir : database) = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (database.empty())
    database = (std::filesystem::path(data_dir) / "lamplight.db").string();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "token")
    return token(args);
  if (args[0] == "api")
    return api(args);
  auto reg = backend::tenant_registry::open(database);
  if (!reg)
    return fail(reg.err());
  return run(**reg, args);
}
