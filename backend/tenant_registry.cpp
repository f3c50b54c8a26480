#include "backend/tenant_registry.hpp"

#include <chrono>

#include "backend/random_id.hpp"
#include "backend/schema.hpp"
#include "storage/journal.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;

constexpr std::size_t max_name_bytes = 200;

// What tenant_row reads, in its order.
#define TENANT_COLUMNS \
  "id, name, status, created_ms, max_classrooms, max_participants, max_photo_bytes"

protocol::error no_tenant(const std::string& id) {
  return {errc::not_found, "no tenant " + id};
}

tenant tenant_row(const database::statement& q) {
  tenant t;
  t.id = q.text(0);
  t.name = q.text(1);
  from_string(q.text(2), t.status);
  t.created_ms = q.integer(3);
  t.quota.classrooms = q.integer(4);
  t.quota.participants = q.integer(5);
  t.quota.photo_bytes = q.integer(6);
  return t;
}

api_key key_row(const database::statement& q) {
  api_key k;
  k.kid = q.text(0);
  k.tenant = q.text(1);
  k.created_ms = q.integer(2);
  k.expires_ms = q.is_null(3) ? 0 : q.integer(3);
  k.revoked_ms = q.is_null(4) ? 0 : q.integer(4);
  return k;
}

/// Rows of a query (text parameters bound in order) made into T by `row`.
template <class T, class Row>
protocol::result<std::vector<T>> all_rows(database& db, const char* sql,
                                          std::vector<std::string> params, Row row) {
  auto q = db.prepare(sql);
  if (!q)
    return q.err();
  for (std::size_t i = 0; i < params.size(); ++i)
    q->bind(static_cast<int>(i + 1), params[i]);
  std::vector<T> out;
  if (auto err = q->each([&](const database::statement& r) { out.push_back(row(r)); });
      err.code != errc::none)
    return err;
  return out;
}

} // namespace

const char* to_string(tenant_status x) {
  switch (x) {
    case tenant_status::active: return "active";
    case tenant_status::suspended: return "suspended";
  }
  return "?";
}

bool from_string(const std::string& text, tenant_status& out) {
  if (text == "active")
    out = tenant_status::active;
  else if (text == "suspended")
    out = tenant_status::suspended;
  else
    return false;
  return true;
}

bool tenant_registry::valid_tenant_id(const std::string& id) {
  return storage::valid_journal_id(id);
}

protocol::result<std::shared_ptr<tenant_registry>>
tenant_registry::open(const std::string& address, clock now_ms) {
  if (!now_ms)
    now_ms = wall_ms;
  auto db = open_migrated(address, now_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<tenant_registry>(new tenant_registry(std::move(*db), std::move(now_ms)));
}

protocol::result<tenant> tenant_registry::create_tenant(const std::string& id,
                                                        const std::string& name) {
  if (!valid_tenant_id(id))
    return protocol::error{errc::bad_request,
                           "a tenant id is 1..64 of [A-Za-z0-9._-], not starting with . or -"};
  if (name.empty() || name.size() > max_name_bytes)
    return protocol::error{errc::bad_request, "a tenant name is 1..200 bytes"};
  if (id == protocol::demo_tenant)
    return protocol::error{errc::bad_request,
                           "demo is the built-in tenant of development tokens; choose another id"};
  std::lock_guard<std::mutex> guard(mtx_);
  tenant t{id, name, tenant_status::active, now_ms_(), {}};
  auto q = db_->prepare("INSERT INTO tenants (id, name, status, created_ms) VALUES (?, ?, ?, ?)");
  if (!q)
    return q.err();
  auto err = q->bind(1, t.id).bind(2, t.name).bind(3, to_string(t.status)).bind(4, t.created_ms).run();
  if (err.code == errc::already_exists)
    return protocol::error{errc::already_exists, "tenant " + id + " exists"};
  if (err.code != errc::none)
    return err;
  return t;
}

protocol::result<std::vector<tenant>> tenant_registry::tenants() {
  std::lock_guard<std::mutex> guard(mtx_);
  return all_rows<tenant>(*db_, "SELECT " TENANT_COLUMNS " FROM tenants ORDER BY id", {},
                          tenant_row);
}

protocol::result<tenant> tenant_registry::find_tenant(const std::string& id) {
  std::lock_guard<std::mutex> guard(mtx_);
  return find_tenant_locked(id);
}

protocol::result<tenant> tenant_registry::find_tenant_locked(const std::string& id) {
  auto rows = all_rows<tenant>(
    *db_, "SELECT " TENANT_COLUMNS " FROM tenants WHERE id = ?", {id}, tenant_row);
  if (!rows)
    return rows.err();
  if (rows->empty())
    return no_tenant(id);
  return rows->front();
}

protocol::error tenant_registry::set_status(const std::string& id, tenant_status status) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("UPDATE tenants SET status = ? WHERE id = ?");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, to_string(status)).bind(2, id).run(); err.code != errc::none)
    return err;
  return db_->changes() == 1 ? protocol::error{} : no_tenant(id);
}

protocol::error tenant_registry::set_quota(const std::string& id, const tenant_quota& quota) {
  if (quota.classrooms < 0 || quota.participants < 0 || quota.photo_bytes < 0)
    return {errc::bad_request, "a quota is 0 (no limit) or more"};
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "UPDATE tenants SET max_classrooms = ?, max_participants = ?, max_photo_bytes = ? WHERE id = ?");
  if (!q)
    return q.err();
  if (auto err =
        q->bind(1, quota.classrooms).bind(2, quota.participants).bind(3, quota.photo_bytes).bind(4, id).run();
      err.code != errc::none)
    return err;
  return db_->changes() == 1 ? protocol::error{} : no_tenant(id);
}

protocol::error tenant_registry::delete_tenant(const std::string& id) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("DELETE FROM tenants WHERE id = ?");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, id).run(); err.code != errc::none)
    return err;
  return db_->changes() == 1 ? protocol::error{} : no_tenant(id);
}

protocol::result<new_key> tenant_registry::insert_key(const std::string& tenant) {
  new_key out;
  out.key.kid = "k_" + random_hex(8);
  out.secret = random_hex(32);
  if (out.key.kid.size() != 18 || out.secret.size() != 64)
    return protocol::error{errc::internal, "no randomness for a key"};
  out.key.tenant = tenant;
  out.key.created_ms = now_ms_();
  auto q = db_->prepare(
    "INSERT INTO api_keys (kid, tenant, secret, created_ms) "
    "SELECT ?, id, ?, ? FROM tenants WHERE id = ?");
  if (!q)
    return q.err();
  auto err = q->bind(1, out.key.kid).bind(2, out.secret).bind(3, out.key.created_ms).bind(4, tenant).run();
  if (err.code != errc::none)
    return err;
  if (db_->changes() != 1)
    return no_tenant(tenant);
  return out;
}

protocol::result<new_key> tenant_registry::create_key(const std::string& tenant) {
  std::lock_guard<std::mutex> guard(mtx_);
  return insert_key(tenant);
}

protocol::result<std::vector<api_key>> tenant_registry::keys(const std::string& tenant) {
  std::lock_guard<std::mutex> guard(mtx_);
  if (auto t = find_tenant_locked(tenant); !t)
    return t.err();
  return all_rows<api_key>(*db_,
                           "SELECT kid, tenant, created_ms, expires_ms, revoked_ms FROM api_keys "
                           "WHERE tenant = ? ORDER BY created_ms, kid",
                           {tenant}, key_row);
}

protocol::result<new_key> tenant_registry::rotate_key(const std::string& tenant,
                                                      const std::string& kid, int64_t grace_ms) {
  if (grace_ms < 0)
    return protocol::error{errc::bad_request, "a grace period is not negative"};
  std::lock_guard<std::mutex> guard(mtx_);
  transaction tx(*db_);
  if (!tx.started())
    return protocol::error{errc::internal, "database: cannot start a transaction"};
  auto now = now_ms_();
  auto q = db_->prepare(
    "UPDATE api_keys SET expires_ms = ? WHERE kid = ? AND tenant = ? AND revoked_ms IS NULL "
    "AND (expires_ms IS NULL OR expires_ms > ?)");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, now + grace_ms).bind(2, kid).bind(3, tenant).bind(4, now).run();
      err.code != errc::none)
    return err;
  if (db_->changes() != 1)
    return protocol::error{errc::not_found, "no live key " + kid + " of tenant " + tenant};
  auto fresh = insert_key(tenant);
  if (!fresh)
    return fresh;
  if (auto err = tx.commit(); err.code != errc::none)
    return err;
  return fresh;
}

protocol::error tenant_registry::revoke_key(const std::string& tenant, const std::string& kid) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "UPDATE api_keys SET revoked_ms = ? WHERE kid = ? AND tenant = ? AND revoked_ms IS NULL");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, now_ms_()).bind(2, kid).bind(3, tenant).run(); err.code != errc::none)
    return err;
  if (db_->changes() != 1)
    return {errc::not_found, "no unrevoked key " + kid + " of tenant " + tenant};
  return {};
}

std::optional<protocol::tenant_key> tenant_registry::lookup(const std::string& kid) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "SELECT k.tenant, k.secret FROM api_keys k JOIN tenants t ON t.id = k.tenant "
    "WHERE k.kid = ? AND t.status = 'active' AND k.revoked_ms IS NULL "
    "AND (k.expires_ms IS NULL OR k.expires_ms > ?)");
  if (!q)
    return std::nullopt;
  q->bind(1, kid).bind(2, now_ms_());
  auto row = q->step();
  if (!row || !*row)
    return std::nullopt;
  return protocol::tenant_key{q->text(0), q->text(1)};
}

} // namespace lamplight::backend
