#include "backend/webhooks.hpp"

#include "protocol/digest.hpp"

#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "backend/random_id.hpp"
#include "backend/schema.hpp"
#include "transport/http_client.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;
namespace ip = boost::asio::ip;

constexpr std::size_t max_event_id_bytes = 128;
constexpr std::size_t max_body_bytes = 256 * 1024;
constexpr std::size_t max_log_rows = 1000;

protocol::error bad_request(std::string why) {
  return {errc::bad_request, std::move(why)};
}

/// Whether `x` (host order) lies in `prefix`/`bits`.
bool in_v4(uint32_t x, uint32_t prefix, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (x & mask) == (prefix & mask);
}

constexpr uint32_t v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

bool v4_allowed(uint32_t x, const webhook_policy& policy) {
  if (in_v4(x, v4(127, 0, 0, 0), 8))
    return policy.allow_loopback;
  if (in_v4(x, v4(10, 0, 0, 0), 8) || in_v4(x, v4(172, 16, 0, 0), 12)
      || in_v4(x, v4(192, 168, 0, 0), 16) || in_v4(x, v4(100, 64, 0, 0), 10))
    return policy.allow_private;
  // "This network", link-local (cloud metadata at 169.254.169.254), IETF
  // protocol assignments, documentation, benchmarking, multicast, reserved
  // and broadcast: nothing a webhook receiver has.
  static const std::pair<uint32_t, int> never[] = {
    {v4(0, 0, 0, 0), 8},      {v4(169, 254, 0, 0), 16}, {v4(192, 0, 0, 0), 24},
    {v4(192, 0, 2, 0), 24},   {v4(198, 18, 0, 0), 15},  {v4(198, 51, 100, 0), 24},
    {v4(203, 0, 113, 0), 24}, {v4(224, 0, 0, 0), 4},    {v4(240, 0, 0, 0), 4},
  };
  for (const auto& [prefix, bits] : never)
    if (in_v4(x, prefix, bits))
      return false;
  return true;
}

/// An address literal as the system's resolver reads it: IPv6, dotted quad,
/// and inet_aton's other IPv4 forms ("127.1", "0x7f000001", "2130706433")
/// that would otherwise slip past a check of the dotted form.
bool parse_address_literal(const std::string& host, ip::address& out) {
  boost::system::error_code ec;
  out = ip::make_address(host, ec);
  if (!ec)
    return true;
  in_addr a{};
  if (::inet_aton(host.c_str(), &a) == 0)
    return false;
  out = ip::address_v4(ntohl(a.s_addr));
  return true;
}

std::vector<std::string> split_events(const std::string& stored) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= stored.size()) {
    auto comma = stored.find(',', at);
    if (comma == std::string::npos)
      comma = stored.size();
    if (comma > at)
      out.push_back(stored.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

/// The subscription as stored: "*" alone, or known names in enum order
/// joined by commas.
protocol::result<std::string> normalize_events(const std::vector<std::string>& events) {
  if (events.empty())
    return bad_request("subscribe to at least one event type (or \"*\")");
  bool all = false;
  std::vector<bool> wanted(all_webhook_event_types.size(), false);
  for (const auto& name : events) {
    webhook_event_type t = webhook_event_type::lesson_started;
    if (name == webhook_all_events)
      all = true;
    else if (from_string(name, t))
      wanted[static_cast<std::size_t>(t)] = true;
    else
      return bad_request("unknown event type \"" + name.substr(0, 64) + "\"");
  }
  if (all)
    return std::string(webhook_all_events);
  std::string out;
  for (auto t : all_webhook_event_types)
    if (wanted[static_cast<std::size_t>(t)])
      out += (out.empty() ? "" : ",") + std::string(to_string(t));
  return out;
}

webhook_endpoint endpoint_row(const database::statement& q) {
  webhook_endpoint e;
  e.id = q.text(0);
  e.tenant = q.text(1);
  e.url = q.text(2);
  e.events = split_events(q.text(3));
  e.created_ms = q.integer(4);
  e.disabled_ms = q.is_null(5) ? 0 : q.integer(5);
  return e;
}

webhook_delivery delivery_row(const database::statement& q) {
  webhook_delivery d;
  d.outbox = q.text(0);
  d.attempt = q.integer(1);
  d.endpoint = q.text(2);
  d.event_id = q.text(3);
  d.event_type = q.text(4);
  from_string(q.text(5), d.state);
  d.at_ms = q.integer(6);
  d.status_code = q.integer(7);
  d.error = q.text(8);
  d.duration_ms = q.integer(9);
  return d;
}

/// Rows of a prepared, bound query made into T by `row`.
template <class T, class Row>
protocol::result<std::vector<T>> collect(database::statement& q, Row row) {
  std::vector<T> out;
  if (auto err = q.each([&](const database::statement& r) { out.push_back(row(r)); });
      err.code != errc::none)
    return err;
  return out;
}

} // namespace

const char* to_string(webhook_event_type x) {
  switch (x) {
    case webhook_event_type::lesson_started: return "lesson.started";
    case webhook_event_type::lesson_ended: return "lesson.ended";
    case webhook_event_type::participant_joined: return "participant.joined";
    case webhook_event_type::participant_left: return "participant.left";
    case webhook_event_type::call_ended: return "call.ended";
    case webhook_event_type::hand_raised: return "hand.raised";
    case webhook_event_type::photo_taken: return "photo.taken";
    case webhook_event_type::quota_reached: return "quota.reached";
    case webhook_event_type::device_failed: return "device.failed";
    case webhook_event_type::qna_matched: return "qna.matched";
    case webhook_event_type::qna_expired: return "qna.expired";
  }
  return "?";
}

bool from_string(const std::string& text, webhook_event_type& out) {
  for (auto t : all_webhook_event_types)
    if (text == to_string(t)) {
      out = t;
      return true;
    }
  return false;
}

const char* to_string(webhook_state x) {
  switch (x) {
    case webhook_state::pending: return "pending";
    case webhook_state::delivered: return "delivered";
    case webhook_state::failed: return "failed";
  }
  return "?";
}

bool from_string(const std::string& text, webhook_state& out) {
  for (auto s : {webhook_state::pending, webhook_state::delivered, webhook_state::failed})
    if (text == to_string(s)) {
      out = s;
      return true;
    }
  return false;
}

bool webhook_address_allowed(const ip::address& address, const webhook_policy& policy) {
  if (address.is_v4())
    return v4_allowed(address.to_v4().to_uint(), policy);
  auto a = address.to_v6();
  if (a.is_v4_mapped())
    return v4_allowed(ip::make_address_v4(ip::v4_mapped, a).to_uint(), policy);
  if (a.is_loopback())
    return policy.allow_loopback;
  auto b = a.to_bytes();
  if ((b[0] & 0xfe) == 0xfc)  // fc00::/7, unique local
    return policy.allow_private;
  if (b[0] == 0x20 && b[1] == 0x02)  // 2002::/16, 6to4: judged by the IPv4 inside
    return v4_allowed(v4(b[2], b[3], b[4], b[5]), policy);
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)  // documentation
    return false;
  // Global unicast is 2000::/3; everything else (unspecified, link- and
  // site-local, multicast, NAT64, IPv4-compatible, ...) is refused.
  return (b[0] & 0xe0) == 0x20;
}

protocol::error validate_webhook_url(const std::string& url, const webhook_policy& policy) {
  if (url.size() > max_webhook_url_bytes)
    return bad_request("URL: longer than " + std::to_string(max_webhook_url_bytes) + " bytes");
  auto parsed = transport::parse_http_url(url);
  if (!parsed)
    return parsed.err();
  std::string host = parsed->host;
  if (!host.empty() && host.back() == '.')
    host.pop_back();
  // RFC 6761: localhost and every name under it are the machine itself.
  bool localhost = host == "localhost"
                   || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
  if (localhost && !policy.allow_loopback)
    return bad_request("URL: localhost is not allowed for webhooks");
  ip::address literal;
  if (parse_address_literal(host, literal) && !webhook_address_allowed(literal, policy))
    return bad_request("URL: address " + literal.to_string()
                       + " is not allowed for webhooks (loopback, private, link-local, "
                         "multicast or reserved)");
  return {};
}

bool webhook_endpoint::subscribed(std::string_view event_type) const {
  for (const auto& e : events)
    if (e == webhook_all_events || e == event_type)
      return true;
  return false;
}

protocol::result<std::shared_ptr<webhook_registry>>
webhook_registry::open(const std::string& address, webhook_policy policy, clock now_ms) {
  if (!now_ms)
    now_ms = wall_ms;
  auto db = open_migrated(address, now_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<webhook_registry>(
    new webhook_registry(std::move(*db), policy, std::move(now_ms)));
}

protocol::result<new_webhook_endpoint>
webhook_registry::create(const std::string& tenant, const std::string& url,
                         const std::vector<std::string>& events) {
  if (auto err = validate_webhook_url(url, policy_); err.code != errc::none)
    return err;
  auto subscription = normalize_events(events);
  if (!subscription)
    return subscription.err();
  new_webhook_endpoint out;
  out.endpoint.id = "we_" + random_hex(16);
  out.secret = "whsec_" + random_hex(32);
  if (out.endpoint.id.size() != 35 || out.secret.size() != 70)
    return protocol::error{errc::internal, "no randomness for a webhook secret"};
  out.endpoint.tenant = tenant;
  out.endpoint.url = url;
  out.endpoint.events = split_events(*subscription);

  std::lock_guard<std::mutex> guard(mtx_);
  out.endpoint.created_ms = now_ms_();
  // Counted and inserted under the write lock: two creators (another node,
  // lamplight-admin) cannot both take the last place.
  transaction tx(*db_);
  if (!tx.started())
    return protocol::error{errc::internal, "database: cannot start a transaction"};
  auto count = db_->prepare("SELECT COUNT(*) FROM webhook_endpoints WHERE tenant = ?");
  if (!count)
    return count.err();
  count->bind(1, tenant);
  if (auto row = count->step(); !row)
    return row.err();
  if (static_cast<std::size_t>(count->integer(0)) >= policy_.max_endpoints_per_tenant)
    return protocol::error{errc::wrong_state,
                           "tenant " + tenant + " has "
                             + std::to_string(policy_.max_endpoints_per_tenant)
                             + " webhook endpoints already (the most allowed)"};
  auto q = db_->prepare(
    "INSERT INTO webhook_endpoints (id, tenant, url, secret, events, created_ms) "
    "SELECT ?, id, ?, ?, ?, ? FROM tenants WHERE id = ?");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, out.endpoint.id)
                   .bind(2, url)
                   .bind(3, out.secret)
                   .bind(4, *subscription)
                   .bind(5, out.endpoint.created_ms)
                   .bind(6, tenant)
                   .run();
      err.code != errc::none)
    return err;
  if (db_->changes() != 1)
    return protocol::error{errc::not_found, "no tenant " + tenant};
  if (auto err = tx.commit(); err.code != errc::none)
    return err;
  return out;
}

protocol::result<std::vector<webhook_endpoint>> webhook_registry::list(const std::string& tenant) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "SELECT id, tenant, url, events, created_ms, disabled_ms FROM webhook_endpoints "
    "WHERE tenant = ? ORDER BY created_ms, id");
  if (!q)
    return q.err();
  q->bind(1, tenant);
  return collect<webhook_endpoint>(*q, endpoint_row);
}

protocol::error webhook_registry::remove(const std::string& tenant, const std::string& id) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare("DELETE FROM webhook_endpoints WHERE id = ? AND tenant = ?");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, id).bind(2, tenant).run(); err.code != errc::none)
    return err;
  if (db_->changes() != 1)
    return {errc::not_found, "no webhook endpoint " + id.substr(0, 64)};
  return {};
}

protocol::result<std::vector<webhook_delivery>>
webhook_registry::deliveries(const std::string& tenant, std::size_t limit, bool only_failed) {
  if (limit == 0 || limit > max_log_rows)
    return protocol::error{errc::bad_request, "a delivery log page is 1..1000 rows"};
  std::lock_guard<std::mutex> guard(mtx_);
  static constexpr const char* all_sql =
    "SELECT d.outbox, d.attempt, d.endpoint, d.event_id, o.event_type, o.state, d.at_ms, "
    "d.status_code, d.error, d.duration_ms FROM webhook_deliveries d "
    "JOIN webhook_outbox o ON o.id = d.outbox WHERE d.tenant = ? "
    "ORDER BY d.at_ms DESC, d.attempt DESC, d.outbox LIMIT ?";
  static constexpr const char* failed_sql =
    "SELECT d.outbox, d.attempt, d.endpoint, d.event_id, o.event_type, o.state, d.at_ms, "
    "d.status_code, d.error, d.duration_ms FROM webhook_deliveries d "
    "JOIN webhook_outbox o ON o.id = d.outbox WHERE d.tenant = ? "
    "AND (d.status_code < 200 OR d.status_code > 299) "
    "ORDER BY d.at_ms DESC, d.attempt DESC, d.outbox LIMIT ?";
  auto q = db_->prepare(only_failed ? failed_sql : all_sql);
  if (!q)
    return q.err();
  q->bind(1, tenant).bind(2, static_cast<int64_t>(limit));
  return collect<webhook_delivery>(*q, delivery_row);
}

protocol::result<webhook_outbox_counts> webhook_registry::outbox_counts(const std::string& tenant) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto q = db_->prepare(
    "SELECT state, COUNT(*) FROM webhook_outbox WHERE tenant = ? GROUP BY state");
  if (!q)
    return q.err();
  q->bind(1, tenant);
  webhook_outbox_counts out;
  auto err = q->each([&](const database::statement& r) {
    webhook_state s = webhook_state::pending;
    if (!from_string(r.text(0), s))
      return;
    (s == webhook_state::pending ? out.pending
     : s == webhook_state::delivered ? out.delivered
                                     : out.failed) = r.integer(1);
  });
  if (err.code != errc::none)
    return err;
  return out;
}

protocol::result<int64_t> webhook_registry::purge(int64_t before_ms) {
  std::lock_guard<std::mutex> guard(mtx_);
  // Their delivery log goes with them (ON DELETE CASCADE).
  auto q = db_->prepare(
    "DELETE FROM webhook_outbox WHERE state IN ('delivered', 'failed') AND created_ms < ?");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, before_ms).run(); err.code != errc::none)
    return err;
  return db_->changes();
}

protocol::error enqueue_webhook_event(database& db, const std::string& tenant,
                                      const std::string& event_id, const std::string& event_type,
                                      const std::string& body_json, int64_t now_ms) {
  webhook_event_type type = webhook_event_type::lesson_started;
  if (!from_string(event_type, type))
    return bad_request("unknown webhook event type \"" + event_type.substr(0, 64) + "\"");
  if (event_id.empty() || event_id.size() > max_event_id_bytes)
    return bad_request("a webhook event id is 1..128 bytes");
  if (body_json.size() > max_body_bytes)
    return bad_request("a webhook body is at most 256 KiB");
  auto q = db.prepare(
    "SELECT id, events FROM webhook_endpoints WHERE tenant = ? AND disabled_ms IS NULL");
  if (!q)
    return q.err();
  q->bind(1, tenant);
  auto endpoints = collect<webhook_endpoint>(*q, [](const database::statement& row) {
    webhook_endpoint e;
    e.id = row.text(0);
    e.events = split_events(row.text(1));
    return e;
  });
  if (!endpoints)
    return endpoints.err();
  for (const auto& e : *endpoints) {
    if (!e.subscribed(event_type))
      continue;
    auto id = "wo_" + random_hex(16);
    if (id.size() != 35)
      return {errc::internal, "no randomness for an outbox id"};
    auto ins = db.prepare(
      "INSERT INTO webhook_outbox (id, endpoint, tenant, event_id, event_type, body, created_ms, "
      "state, attempts, next_attempt_ms, lease_until_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, 0) "
      "ON CONFLICT (endpoint, event_id) DO NOTHING");
    if (!ins)
      return ins.err();
    if (auto err = ins->bind(1, id)
                     .bind(2, e.id)
                     .bind(3, tenant)
                     .bind(4, event_id)
                     .bind(5, event_type)
                     .bind(6, body_json)
                     .bind(7, now_ms)
                     .bind(8, now_ms)
                     .run();
        err.code != errc::none)
      return err;
  }
  return {};
}

std::string webhook_signature(std::string_view secret, int64_t unix_seconds,
                              std::string_view body) {
  auto t = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(t.size() + 1 + body.size());
  signed_text.append(t).append(".").append(body);
  return "t=" + t + ",v1=" + protocol::hmac_sha256_hex(secret, signed_text);
}

bool verify_webhook_signature(std::string_view secret, std::string_view header,
                              std::string_view body, int64_t now_s, int64_t tolerance_s) {
  std::string t;
  std::vector<std::string_view> v1s;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto part = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (part.substr(0, 2) == "t=")
      t = std::string(part.substr(2));
    else if (part.substr(0, 3) == "v1=")
      v1s.push_back(part.substr(3));
  }
  if (t.empty() || t.size() > 18 || v1s.empty())
    return false;
  for (char c : t)
    if (c < '0' || c > '9')
      return false;
  int64_t at = std::strtoll(t.c_str(), nullptr, 10);
  if (at < now_s - tolerance_s || at > now_s + tolerance_s)
    return false;
  std::string signed_text = t + "." + std::string(body);
  auto expected = protocol::hmac_sha256_hex(secret, signed_text);
  bool ok = false;
  for (auto v : v1s)
    if (v.size() == expected.size() && CRYPTO_memcmp(v.data(), expected.data(), v.size()) == 0)
      ok = true;
  return ok;
}

} // namespace lamplight::backend
