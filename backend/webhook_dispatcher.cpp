#include "backend/webhook_dispatcher.hpp"

#include <algorithm>

#include "backend/random_id.hpp"
#include "backend/schema.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
using steady = std::chrono::steady_clock;

constexpr std::size_t max_response_bytes = 64 * 1024;
/// Of a receiver's answer, this much goes into the log (printable ASCII
/// only: the log is text in any database and shown to the tenant as is).
constexpr std::size_t max_logged_answer = 200;

std::string printable_prefix(const std::string& text, std::size_t n) {
  std::string out;
  for (char c : text.substr(0, n)) {
    auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

protocol::error check_config(const webhook_dispatcher_config& cfg) {
  auto bad = [](const char* why) { return protocol::error{errc::bad_request, why}; };
  if (cfg.max_attempts < 1)
    return bad("webhooks: max_attempts is at least 1");
  if (cfg.backoff_base.count() < 1 || cfg.backoff_cap < cfg.backoff_base)
    return bad("webhooks: backoff_base is at least 1 ms and backoff_cap at least backoff_base");
  if (!(cfg.jitter >= 0 && cfg.jitter <= 1))
    return bad("webhooks: jitter is 0..1");
  if (cfg.request_timeout.count() < 1 || cfg.lease <= cfg.request_timeout)
    return bad("webhooks: the lease must be longer than the request timeout");
  if (cfg.poll_interval.count() < 1)
    return bad("webhooks: poll_interval is at least 1 ms");
  return {};
}

} // namespace

int64_t webhook_dispatcher::backoff_ms(const webhook_dispatcher_config& cfg,
                                       int64_t failed_attempts, double u) {
  int64_t delay = cfg.backoff_base.count();
  int64_t cap = cfg.backoff_cap.count();
  for (int64_t i = 1; i < failed_attempts && delay < cap; ++i)
    delay *= 2;
  delay = std::min(delay, cap);
  auto off = static_cast<int64_t>(static_cast<double>(delay) * cfg.jitter * std::clamp(u, 0.0, 1.0));
  return std::max<int64_t>(1, delay - off);
}

protocol::result<std::unique_ptr<webhook_dispatcher>>
webhook_dispatcher::open(const std::string& address, webhook_dispatcher_config cfg) {
  if (auto err = check_config(cfg); err.code != errc::none)
    return err;
  if (!cfg.now_ms)
    cfg.now_ms = wall_ms;
  if (!cfg.post)
    cfg.post = transport::http_post;
  auto db = open_migrated(address, cfg.now_ms());
  if (!db)
    return db.err();
  return std::unique_ptr<webhook_dispatcher>(new webhook_dispatcher(std::move(*db), std::move(cfg)));
}

webhook_dispatcher::webhook_dispatcher(std::unique_ptr<database> db,
                                       webhook_dispatcher_config cfg)
  : cfg_(std::move(cfg)), db_(std::move(db)), rng_(std::random_device{}()) {}

webhook_dispatcher::~webhook_dispatcher() {
  stop();
}

void webhook_dispatcher::start() {
  std::lock_guard<std::mutex> guard(run_mtx_);
  if (!threads_.empty() || stopping_)
    return;
  for (unsigned i = 0; i < std::max(1u, cfg_.concurrency); ++i)
    threads_.emplace_back([this] { worker(); });
}

void webhook_dispatcher::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> guard(run_mtx_);
    stopping_ = true;
    threads.swap(threads_);
  }
  wake_cv_.notify_all();
  for (auto& t : threads)
    t.join();
}

void webhook_dispatcher::wake() {
  {
    std::lock_guard<std::mutex> guard(run_mtx_);
    ++wakes_;
  }
  wake_cv_.notify_all();
}

webhook_dispatcher_stats webhook_dispatcher::stats() const {
  return {delivered_.load(), failed_attempts_.load(), given_up_.load(), database_errors_.load()};
}

std::size_t webhook_dispatcher::run_once(std::size_t max) {
  std::size_t n = 0;
  while (n < max && deliver_one())
    ++n;
  return n;
}

void webhook_dispatcher::worker() {
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> guard(run_mtx_);
      if (stopping_)
        return;
      seen = wakes_;
    }
    if (deliver_one())
      continue;
    std::unique_lock<std::mutex> lock(run_mtx_);
    wake_cv_.wait_for(lock, cfg_.poll_interval, [&] { return stopping_ || wakes_ != seen; });
  }
}

bool webhook_dispatcher::deliver_one() {
  auto c = claim_next(cfg_.now_ms());
  if (!c)
    return false;
  record(*c, send(*c));
  return true;
}

double webhook_dispatcher::next_jitter() {
  std::lock_guard<std::mutex> guard(rng_mtx_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

std::optional<webhook_dispatcher::claim> webhook_dispatcher::claim_next(int64_t now) {
  std::lock_guard<std::mutex> guard(db_mtx_);
  auto failed = [this] {
    ++database_errors_;
    return std::nullopt;
  };
  // Another dispatcher may take the candidate between our read and our
  // update (the update then changes nothing): try the next one.
  for (int tries = 0; tries < 3; ++tries) {
    // A row is due when its time has come and nobody holds its lease; its
    // endpoint must be enabled and have no other delivery in flight.
    auto pick = db_->prepare(
      "SELECT o.id FROM webhook_outbox o JOIN webhook_endpoints e ON e.id = o.endpoint "
      "WHERE o.state = 'pending' AND o.next_attempt_ms <= ? AND o.lease_until_ms <= ? "
      "AND e.disabled_ms IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM webhook_outbox b WHERE b.endpoint = o.endpoint "
      "AND b.state = 'pending' AND b.lease_until_ms > ?) "
      "ORDER BY o.next_attempt_ms, o.created_ms, o.id LIMIT 1");
    if (!pick)
      return failed();
    pick->bind(1, now).bind(2, now).bind(3, now);
    auto row = pick->step();
    if (!row)
      return failed();
    if (!*row)
      return std::nullopt;
    claim c;
    c.id = pick->text(0);
    c.started_ms = now;
    c.lease_until_ms = now + cfg_.lease.count();

    transaction tx(*db_);
    if (!tx.started())
      return failed();
    // The same conditions again, now under the write lock: compare and set.
    auto take = db_->prepare(
      "UPDATE webhook_outbox SET lease_until_ms = ? WHERE id = ? AND state = 'pending' "
      "AND next_attempt_ms <= ? AND lease_until_ms <= ? "
      "AND NOT EXISTS (SELECT 1 FROM webhook_outbox b WHERE b.endpoint = webhook_outbox.endpoint "
      "AND b.state = 'pending' AND b.lease_until_ms > ?)");
    if (!take)
      return failed();
    if (auto err = take->bind(1, c.lease_until_ms).bind(2, c.id).bind(3, now).bind(4, now).bind(5, now).run();
        err.code != errc::none)
      return failed();
    if (db_->changes() != 1)
      continue;
    auto details = db_->prepare(
      "SELECT o.endpoint, o.tenant, o.event_id, o.event_type, o.body, e.url, e.secret "
      "FROM webhook_outbox o JOIN webhook_endpoints e ON e.id = o.endpoint WHERE o.id = ?");
    if (!details)
      return failed();
    details->bind(1, c.id);
    auto found = details->step();
    if (!found || !*found)
      return failed();
    c.endpoint = details->text(0);
    c.tenant = details->text(1);
    c.event_id = details->text(2);
    c.event_type = details->text(3);
    c.body = details->text(4);
    c.url = details->text(5);
    c.secret = details->text(6);
    if (auto err = tx.commit(); err.code != errc::none)
      return failed();
    return c;
  }
  return std::nullopt;
}

webhook_dispatcher::outcome webhook_dispatcher::send(const claim& c) {
  outcome out;
  auto started = steady::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started).count();
  };
  // Checked again at every attempt: the policy may have tightened since the
  // endpoint was registered. The resolved address is checked by http_post.
  if (auto err = validate_webhook_url(c.url, cfg_.policy); err.code != errc::none) {
    out.error = "refused: " + err.message;
    return out;
  }
  transport::http_headers headers = {
    {"Content-Type", "application/json"},
    {"User-Agent", "lamplight-webhooks/1"},
    {"Lamplight-Event-Id", c.event_id},
    {"Lamplight-Event-Type", c.event_type},
    {"Lamplight-Signature", webhook_signature(c.secret, c.started_ms / 1000, c.body)},
  };
  transport::http_post_options options;
  options.timeout = cfg_.request_timeout;
  options.max_response_bytes = max_response_bytes;
  options.ca_file = cfg_.ca_file;
  options.allow_address = [policy = cfg_.policy](const boost::asio::ip::address& a) {
    return webhook_address_allowed(a, policy);
  };
  protocol::result<transport::http_reply> reply{errc::internal, "no attempt"};
  try {
    reply = cfg_.post(c.url, headers, c.body, options);
  } catch (const std::exception& e) {
    reply = protocol::error{errc::internal, e.what()};
  }
  out.duration_ms = elapsed();
  if (!reply) {
    const auto& err = reply.err();
    out.error = (err.code == errc::permission_denied ? std::string("refused") : to_string(err.code))
                + ": " + err.message;
    return out;
  }
  out.status_code = reply->status;
  if (!out.ok()) {
    out.error = "HTTP " + std::to_string(reply->status);
    auto answer = printable_prefix(reply->body, max_logged_answer);
    if (!answer.empty())
      out.error += ": " + answer;
  }
  return out;
}

void webhook_dispatcher::record(const claim& c, const outcome& o) {
  if (o.ok())
    ++delivered_;
  else
    ++failed_attempts_;
  auto now = cfg_.now_ms();
  auto jitter = next_jitter();
  std::lock_guard<std::mutex> guard(db_mtx_);
  auto failed = [this] { ++database_errors_; };
  transaction tx(*db_);
  if (!tx.started())
    return failed();
  // Read again under the write lock: another dispatcher may have taken the
  // row after our lease ran out, and even delivered it.
  auto cur = db_->prepare("SELECT state, attempts FROM webhook_outbox WHERE id = ?");
  if (!cur)
    return failed();
  cur->bind(1, c.id);
  auto row = cur->step();
  if (!row)
    return failed();
  if (!*row)
    return;  // the endpoint was removed meanwhile, its rows with it
  webhook_state state = webhook_state::pending;
  from_string(cur->text(0), state);
  int64_t attempt = cur->integer(1) + 1;

  auto log = db_->prepare(
    "INSERT INTO webhook_deliveries (outbox, attempt, endpoint, tenant, event_id, at_ms, "
    "status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!log)
    return failed();
  if (auto err = log->bind(1, c.id)
                   .bind(2, attempt)
                   .bind(3, c.endpoint)
                   .bind(4, c.tenant)
                   .bind(5, c.event_id)
                   .bind(6, c.started_ms)
                   .bind(7, o.status_code)
                   .bind(8, o.error)
                   .bind(9, o.duration_ms)
                   .run();
      err.code != errc::none)
    return failed();

  webhook_state next = state;
  int64_t next_attempt_ms = now;
  if (o.ok()) {
    next = webhook_state::delivered;
  } else if (state == webhook_state::pending) {
    if (attempt >= cfg_.max_attempts) {
      next = webhook_state::failed;
      ++given_up_;
    } else {
      next_attempt_ms = now + backoff_ms(cfg_, attempt, jitter);
    }
  }
  // A late attempt (its lease ran out) leaves a row delivered or failed by
  // another as it is; the lease is released only if it is still ours.
  auto upd = db_->prepare(
    "UPDATE webhook_outbox SET state = ?, attempts = ?, "
    "next_attempt_ms = CASE WHEN ? = 1 THEN ? ELSE next_attempt_ms END, "
    "lease_until_ms = CASE WHEN lease_until_ms = ? THEN 0 ELSE lease_until_ms END WHERE id = ?");
  if (!upd)
    return failed();
  bool reschedule = next == webhook_state::pending && state == webhook_state::pending;
  if (auto err = upd->bind(1, to_string(next))
                   .bind(2, attempt)
                   .bind(3, int64_t{reschedule ? 1 : 0})
                   .bind(4, next_attempt_ms)
                   .bind(5, c.lease_until_ms)
                   .bind(6, c.id)
                   .run();
      err.code != errc::none)
    return failed();
  if (tx.commit().code != errc::none)
    failed();
}

} // namespace lamplight::backend
