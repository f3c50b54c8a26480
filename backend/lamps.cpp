#include "backend/lamps.hpp"

#include "backend/random_id.hpp"
#include "backend/schema.hpp"
#include "storage/journal.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;

protocol::error bad(const std::string& why) { return {errc::bad_request, why}; }

protocol::error check_ids(std::initializer_list<std::pair<const char*, const std::string*>> ids) {
  for (const auto& [name, id] : ids)
    if (!storage::valid_journal_id(*id))
      return bad(std::string(name) + ": 1..64 of [A-Za-z0-9._-], not starting with . or -");
  return {};
}

lamp lamp_row(const database::statement& r) {
  lamp l;
  l.tenant = r.text(0);
  l.serial = r.text(1);
  l.student = r.text(2);
  l.created_ms = r.integer(3);
  l.revoked_ms = r.is_null(4) ? 0 : r.integer(4);
  return l;
}

} // namespace

protocol::result<std::shared_ptr<lamp_registry>> lamp_registry::open(const std::string& address,
                                                                     clock now_ms) {
  if (!now_ms)
    now_ms = wall_ms;
  auto db = open_migrated(address, now_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<lamp_registry>(new lamp_registry(std::move(*db), std::move(now_ms)));
}

protocol::result<new_lamp> lamp_registry::register_lamp(const std::string& tenant,
                                                        const std::string& serial,
                                                        const std::string& student) {
  if (auto err = check_ids({{"serial", &serial}, {"student", &student}}); err.code != errc::none)
    return err;
  new_lamp out;
  out.secret = random_hex(32);
  if (out.secret.size() != 64)
    return protocol::error{errc::internal, "no randomness for a device secret"};
  std::lock_guard<std::mutex> guard(mtx_);
  out.device = {tenant, serial, student, now_ms_(), 0};
  // A revoked serial is re-registered in place; a live one is a conflict.
  auto q = db_->prepare(
    "INSERT INTO lamps (tenant, serial, student, secret, created_ms) "
    "SELECT id, ?, ?, ?, ? FROM tenants WHERE id = ? "
    "ON CONFLICT (tenant, serial) DO UPDATE SET student = excluded.student, "
    "secret = excluded.secret, created_ms = excluded.created_ms, revoked_ms = NULL "
    "WHERE lamps.revoked_ms IS NOT NULL");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, serial)
                   .bind(2, student)
                   .bind(3, out.secret)
                   .bind(4, out.device.created_ms)
                   .bind(5, tenant)
                   .run();
      err.code != errc::none)
    return err;
  if (db_->changes() == 1)
    return out;
  // Nothing written: no such tenant, or a live lamp with that serial.
  auto t = db_->prepare("SELECT COUNT(*) FROM tenants WHERE id = ?");
  if (!t)
    return t.err();
  t->bind(1, tenant);
  if (auto row = t->step(); !row)
    return row.err();
  if (t->integer(0) == 0)
    return protocol::error{errc::not_found, "no tenant " + tenant};
  return protocol::error{errc::already_exists, "lamp " + serial + " is registered"};
}

protocol::result<std::vector<lamp>> lamp_registry::lamps(const std::string& tenant) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("SELECT tenant, serial, student, created_ms, revoked_ms FROM lamps "
                        "WHERE tenant = ? ORDER BY serial");
  if (!q)
    return q.err();
  q->bind(1, tenant);
  std::vector<lamp> out;
  if (auto err = q->each([&](const database::statement& r) { out.push_back(lamp_row(r)); });
      err.code != errc::none)
    return err;
  return out;
}

protocol::error lamp_registry::revoke_lamp(const std::string& tenant, const std::string& serial) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("UPDATE lamps SET revoked_ms = ? WHERE tenant = ? AND serial = ? AND "
                        "revoked_ms IS NULL");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, now_ms_()).bind(2, tenant).bind(3, serial).run();
      err.code != errc::none)
    return err;
  return db_->changes() == 1 ? protocol::error{}
                             : protocol::error{errc::not_found, "no live lamp " + serial};
}

std::optional<protocol::device_key> lamp_registry::login(const std::string& tenant,
                                                         const std::string& serial,
                                                         const std::string& classroom) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "SELECT l.student, l.secret, "
    "  (SELECT COUNT(*) FROM classroom_students s JOIN classrooms c "
    "     ON c.tenant = s.tenant AND c.id = s.classroom "
    "   WHERE s.tenant = l.tenant AND s.classroom = ? AND s.student = l.student "
    "     AND c.ended_ms IS NULL) "
    "FROM lamps l JOIN tenants t ON t.id = l.tenant "
    "WHERE l.tenant = ? AND l.serial = ? AND l.revoked_ms IS NULL AND t.status = 'active'");
  if (!q)
    return std::nullopt;
  q->bind(1, classroom).bind(2, tenant).bind(3, serial);
  auto row = q->step();
  if (!row || !*row)
    return std::nullopt;
  return protocol::device_key{q->text(0), q->text(1), q->integer(2) > 0};
}

protocol::result<guardian> lamp_registry::bind_parent(const std::string& tenant,
                                                      const std::string& parent,
                                                      const std::string& child) {
  if (auto err = check_ids({{"parent", &parent}, {"child", &child}}); err.code != errc::none)
    return err;
  if (parent == child)
    return bad("a parent is not its own child");
  std::lock_guard<std::mutex> guard(mtx_);
  guardian g{parent, child, now_ms_()};
  auto q = db_->prepare("INSERT INTO guardians (tenant, parent, child, created_ms) "
                        "SELECT id, ?, ?, ? FROM tenants WHERE id = ?");
  if (!q)
    return q.err();
  auto err = q->bind(1, parent).bind(2, child).bind(3, g.created_ms).bind(4, tenant).run();
  if (err.code == errc::already_exists)
    return protocol::error{errc::already_exists, parent + " is bound to " + child};
  if (err.code != errc::none)
    return err;
  if (db_->changes() != 1)
    return protocol::error{errc::not_found, "no tenant " + tenant};
  return g;
}

protocol::error lamp_registry::unbind_parent(const std::string& tenant, const std::string& parent,
                                             const std::string& child) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("DELETE FROM guardians WHERE tenant = ? AND parent = ? AND child = ?");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, tenant).bind(2, parent).bind(3, child).run(); err.code != errc::none)
    return err;
  return db_->changes() == 1
           ? protocol::error{}
           : protocol::error{errc::not_found, parent + " is not bound to " + child};
}

protocol::result<std::vector<guardian>> lamp_registry::guardians(const std::string& tenant) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("SELECT parent, child, created_ms FROM guardians WHERE tenant = ? "
                        "ORDER BY parent, child");
  if (!q)
    return q.err();
  q->bind(1, tenant);
  std::vector<guardian> out;
  if (auto err = q->each([&](const database::statement& r) {
        out.push_back({r.text(0), r.text(1), r.integer(2)});
      });
      err.code != errc::none)
    return err;
  return out;
}

protocol::result<bool> lamp_registry::is_guardian(const std::string& tenant,
                                                  const std::string& parent,
                                                  const std::string& child) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "SELECT COUNT(*) FROM guardians WHERE tenant = ? AND parent = ? AND child = ?");
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, parent).bind(3, child);
  auto row = q->step();
  if (!row)
    return row.err();
  return *row && q->integer(0) > 0;
}

} // namespace lamplight::backend
