#include "backend/schema.hpp"

#include <string>
#include <vector>

namespace lamplight::backend {

namespace {

using protocol::errc;

struct migration {
  int64_t version;
  const char* sql;
};

/// Never edit a migration that shipped: add the next one.
const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
    {1, R"sql(
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
        created_ms BIGINT NOT NULL
      );
      CREATE TABLE api_keys (
        kid TEXT PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        secret TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT,
        revoked_ms BIGINT
      );
      CREATE INDEX api_keys_by_tenant ON api_keys (tenant);
    )sql"},
    {2, R"sql(
      -- Classrooms an institution schedules through the server API (a
      -- classroom joined without one is live all the same: it has lessons).
      CREATE TABLE classrooms (
        tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        mode TEXT NOT NULL,
        capacity BIGINT NOT NULL,
        provider TEXT NOT NULL,
        teacher TEXT NOT NULL,
        starts_ms BIGINT,
        ends_ms BIGINT,
        created_ms BIGINT NOT NULL,
        ended_ms BIGINT,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX classrooms_by_start ON classrooms (tenant, starts_ms);

      -- History. A lesson is one life of a classroom, from its
      -- ClassroomCreated event to its ClassroomClosed. Ids are random text
      -- (portable, and not guessable); every query names the tenant too.
      -- Tenants of tokens signed with the node secret (demo) have history
      -- without a tenants row: no foreign key to tenants here.
      CREATE TABLE lessons (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        classroom TEXT NOT NULL,
        mode TEXT NOT NULL,
        started_ms BIGINT NOT NULL,
        ended_ms BIGINT,
        end_reason TEXT,
        last_seq BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX lessons_by_classroom ON lessons (tenant, classroom, started_ms);
      CREATE INDEX lessons_by_tenant ON lessons (tenant, started_ms);
      -- One row per stay: a member who leaves and comes back has two.
      CREATE TABLE attendance (
        lesson TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
        identity TEXT NOT NULL,
        role TEXT NOT NULL,
        display_name TEXT NOT NULL,
        joined_ms BIGINT NOT NULL,
        left_ms BIGINT,
        left_reason TEXT
      );
      CREATE INDEX attendance_by_lesson ON attendance (lesson, identity);
      CREATE TABLE calls (
        lesson TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
        call_id TEXT NOT NULL,
        caller TEXT NOT NULL,
        callee TEXT NOT NULL,
        started_ms BIGINT NOT NULL,
        answered_ms BIGINT,
        ended_ms BIGINT,
        outcome TEXT,
        PRIMARY KEY (lesson, call_id)
      );
      CREATE TABLE hands (
        lesson TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
        identity TEXT NOT NULL,
        raised_ms BIGINT NOT NULL,
        lowered_ms BIGINT,
        outcome TEXT,
        by_identity TEXT
      );
      CREATE INDEX hands_by_lesson ON hands (lesson, identity);
      CREATE TABLE photos (
        lesson TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
        photo_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        taken_by TEXT NOT NULL,
        command_id TEXT NOT NULL,
        width BIGINT NOT NULL,
        height BIGINT NOT NULL,
        at_ms BIGINT NOT NULL,
        PRIMARY KEY (lesson, photo_id)
      );
      CREATE TABLE media_tracks (
        lesson TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
        track_id TEXT NOT NULL,
        publisher TEXT NOT NULL,
        kind TEXT NOT NULL,
        published_ms BIGINT NOT NULL,
        unpublished_ms BIGINT,
        PRIMARY KEY (lesson, track_id)
      );

      -- Webhooks: a tenant's endpoints, the outbox of events still to
      -- deliver (filled in the same transaction as the history it reports,
      -- so nothing recorded goes unannounced), and every attempt's outcome.
      CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        events TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        disabled_ms BIGINT
      );
      CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant);
      CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY,
        endpoint TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        tenant TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        body TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_ms BIGINT NOT NULL,
        lease_until_ms BIGINT NOT NULL DEFAULT 0,
        UNIQUE (endpoint, event_id)
      );
      CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_attempt_ms);
      CREATE TABLE webhook_deliveries (
        outbox TEXT NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
        attempt BIGINT NOT NULL,
        endpoint TEXT NOT NULL,
        tenant TEXT NOT NULL,
        event_id TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        status_code BIGINT NOT NULL,
        error TEXT NOT NULL,
        duration_ms BIGINT NOT NULL,
        PRIMARY KEY (outbox, attempt)
      );
      CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (tenant, at_ms);
    )sql"},
    {3, R"sql(
      -- Server API nonces accepted by any node of a cluster, kept until
      -- their request's time window is over: a request replayed to another
      -- node is refused there too.
      CREATE TABLE api_nonces (
        kid TEXT NOT NULL,
        nonce TEXT NOT NULL,
        expires_ms BIGINT NOT NULL,
        PRIMARY KEY (kid, nonce)
      );
      CREATE INDEX api_nonces_by_expiry ON api_nonces (expires_ms);
    )sql"},
    {4, R"sql(
      -- Quotas an operator sets per tenant (0: no limit), and each homework
      -- photo's stored size (the photo storage quota and usage count bytes).
      ALTER TABLE tenants ADD COLUMN max_classrooms BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE tenants ADD COLUMN max_participants BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE tenants ADD COLUMN max_photo_bytes BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE photos ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
      -- What the quotas count: open lessons and open stays of a tenant.
      CREATE INDEX lessons_open ON lessons (tenant, ended_ms);
      CREATE INDEX attendance_open ON attendance (lesson, left_ms);
    )sql"},
    {5, R"sql(
      -- Lamps a tenant registered (a device secret each, shown once), the
      -- parents bound to their children, and each scheduled classroom's
      -- roster of students (a lamp joins only classrooms of its student's).
      CREATE TABLE lamps (
        tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        serial TEXT NOT NULL,
        student TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        revoked_ms BIGINT,
        PRIMARY KEY (tenant, serial)
      );
      CREATE TABLE guardians (
        tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        parent TEXT NOT NULL,
        child TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        PRIMARY KEY (tenant, parent, child)
      );
      CREATE TABLE classroom_students (
        tenant TEXT NOT NULL,
        classroom TEXT NOT NULL,
        student TEXT NOT NULL,
        PRIMARY KEY (tenant, classroom, student),
        FOREIGN KEY (tenant, classroom) REFERENCES classrooms (tenant, id) ON DELETE CASCADE
      );
    )sql"},
    {6, R"sql(
      -- Every lamp command of a lesson that finished, and how.
      CREATE TABLE device_commands (
        lesson TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
        command_id TEXT NOT NULL,
        target TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL,
        ended_ms BIGINT NOT NULL,
        PRIMARY KEY (lesson, command_id)
      );
    )sql"},
    {7, R"sql(
      -- A tenant's Q&A questions: asked, then matched with a teacher (in a
      -- one-on-one classroom), expired or withdrawn.
      CREATE TABLE questions (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        student TEXT NOT NULL,
        subject TEXT NOT NULL,
        asked_ms BIGINT NOT NULL,
        state TEXT NOT NULL,
        teacher TEXT,
        classroom TEXT,
        ended_ms BIGINT,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX questions_by_time ON questions (tenant, asked_ms);
    )sql"},
    {8, R"sql(
      -- Bytes the SFU sent a tenant's clients, per UTC day (usage).
      CREATE TABLE forwarded_bytes (
        tenant TEXT NOT NULL,
        day TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        PRIMARY KEY (tenant, day)
      );
    )sql"},
  };
  return all;
}

} // namespace

protocol::result<int64_t> current_version(database& db) {
  if (auto err = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                         "version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)");
      err.code != errc::none)
    return err;
  auto q = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!q)
    return q.err();
  auto row = q->step();
  if (!row)
    return row.err();
  return *row ? q->integer(0) : 0;
}

namespace {

/// Holds the database's schema lock (PostgreSQL: an advisory lock; SQLite:
/// the write lock each migration's transaction takes anyway).
class schema_lock {
public:
  explicit schema_lock(database& db) : db_(db) { err_ = db_.lock_schema(); }
  ~schema_lock() {
    if (err_.code == errc::none)
      db_.unlock_schema();
  }
  schema_lock(const schema_lock&) = delete;
  schema_lock& operator=(const schema_lock&) = delete;
  const protocol::error& error() const { return err_; }

private:
  database& db_;
  protocol::error err_;
};

} // namespace

protocol::error migrate(database& db, int64_t now_ms) {
  // Nodes of a cluster and lamplight-admin may start at once on one
  // database: one migrates, the others wait and then find nothing to do.
  schema_lock lock(db);
  if (lock.error().code != errc::none)
    return lock.error();
  auto at = current_version(db);
  if (!at)
    return at.err();
  if (*at > schema_version)
    return {errc::internal, "database schema version " + std::to_string(*at)
                              + " is newer than this program's (" + std::to_string(schema_version)
                              + ")"};
  for (const auto& m : migrations()) {
    if (m.version <= *at)
      continue;
    transaction tx(db);
    if (!tx.started())
      return {errc::internal, "database: cannot start migration " + std::to_string(m.version)};
    // Another process (a second node, lamplight-admin) may have applied it
    // since we looked (SQLite: the transaction holds the write lock now).
    auto now_at = current_version(db);
    if (!now_at)
      return now_at.err();
    if (*now_at >= m.version)
      continue;
    if (auto err = db.exec(m.sql); err.code != errc::none)
      return {errc::internal, "migration " + std::to_string(m.version) + ": " + err.message};
    auto rec = db.prepare("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)");
    if (!rec)
      return rec.err();
    if (auto err = rec->bind(1, m.version).bind(2, now_ms).run(); err.code != errc::none)
      return err;
    if (auto err = tx.commit(); err.code != errc::none)
      return err;
  }
  return {};
}

protocol::result<std::unique_ptr<database>> open_migrated(const std::string& address,
                                                          int64_t now_ms) {
  auto db = database::open(address);
  if (!db)
    return db.err();
  if (auto err = migrate(**db, now_ms); err.code != errc::none)
    return err;
  return db;
}

} // namespace lamplight::backend
