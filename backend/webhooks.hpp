#pragma once

// Webhooks: the endpoints tenants register, the outbox the history writer
// fills (in its own transaction), the delivery log, and the signature a
// receiver checks. Delivery itself is webhook_dispatcher's.

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "backend/database.hpp"
#include "protocol/errc.hpp"

namespace lamplight::backend {

/// What a tenant can subscribe to; on the wire "lesson.started", ...
enum class webhook_event_type : uint8_t {
  lesson_started,
  lesson_ended,
  participant_joined,
  participant_left,
  call_ended,
  hand_raised,
  photo_taken,
  quota_reached,  // a join or photo refused by a tenant quota (quotas.hpp)
  device_failed,  // a lamp command failed or timed out
  qna_matched,    // a Q&A question paired with a teacher (question_history.hpp)
  qna_expired,    // a Q&A question that could not be paired
};
const char* to_string(webhook_event_type x);
bool from_string(const std::string& text, webhook_event_type& out);
inline constexpr std::array<webhook_event_type, 11> all_webhook_event_types = {
  webhook_event_type::lesson_started, webhook_event_type::lesson_ended,
  webhook_event_type::participant_joined, webhook_event_type::participant_left,
  webhook_event_type::call_ended, webhook_event_type::hand_raised,
  webhook_event_type::photo_taken, webhook_event_type::quota_reached,
  webhook_event_type::device_failed, webhook_event_type::qna_matched,
  webhook_event_type::qna_expired,
};
/// Subscribes an endpoint to every type, present and future.
inline constexpr const char* webhook_all_events = "*";

/// Where webhooks may go. By default only to public addresses: a tenant's
/// URL must not reach the node itself or the network behind it (SSRF).
struct webhook_policy {
  /// Loopback (127/8, ::1, "localhost"): tests and single-machine setups.
  bool allow_loopback = false;
  /// RFC 1918, CGNAT (100.64/10) and IPv6 unique-local addresses: an
  /// on-premises installation whose receivers sit on its own network.
  bool allow_private = false;
  std::size_t max_endpoints_per_tenant = 20;
};

/// Whether a webhook may be sent to `address` (IPv4-mapped IPv6 addresses
/// judged as the IPv4 address they carry). Unspecified, link-local (cloud
/// metadata services live there), multicast, broadcast and reserved
/// addresses never; loopback and private ones as the policy says.
bool webhook_address_allowed(const boost::asio::ip::address& address, const webhook_policy& policy);

/// A URL a tenant may register: http or https, no credentials, at most
/// max_webhook_url_bytes, and a host that is not a refused address literal
/// (in any form inet_aton reads, such as "2130706433") nor "localhost" or a
/// name under it, as `policy` says. errc::bad_request with the reason.
/// Names are checked again, resolved, at every delivery.
inline constexpr std::size_t max_webhook_url_bytes = 2048;
protocol::error validate_webhook_url(const std::string& url, const webhook_policy& policy);

/// A registered endpoint, without its secret.
struct webhook_endpoint {
  std::string id;  // "we_" + 32 hex digits
  std::string tenant;
  std::string url;
  std::vector<std::string> events;  // type names, or just "*"
  int64_t created_ms = 0;
  int64_t disabled_ms = 0;  // 0: enabled
  bool subscribed(std::string_view event_type) const;
};

/// An endpoint just created: the only time its signing secret is shown.
struct new_webhook_endpoint {
  webhook_endpoint endpoint;
  std::string secret;  // "whsec_" + 64 hex digits
};

enum class webhook_state : uint8_t { pending, delivered, failed };
const char* to_string(webhook_state x);
bool from_string(const std::string& text, webhook_state& out);

/// One attempt to deliver one event to one endpoint.
struct webhook_delivery {
  std::string outbox;  // the outbox row: one event for one endpoint
  int64_t attempt = 0;  // 1, 2, ...
  std::string endpoint;
  std::string event_id;
  std::string event_type;
  webhook_state state = webhook_state::pending;  // the outbox row's state now
  int64_t at_ms = 0;
  int64_t status_code = 0;  // 0: no HTTP answer (see error)
  std::string error;        // "" when delivered
  int64_t duration_ms = 0;
  bool ok() const { return status_code >= 200 && status_code < 300; }
};

/// A tenant's outbox rows by state.
struct webhook_outbox_counts {
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t failed = 0;
};

/// Tenants' webhook endpoints and what became of their events, on the
/// node's database file (its own connection). Every call names the tenant
/// and sees only that tenant's rows: another tenant's endpoint id is
/// not_found exactly as an unknown one. Thread-safe.
///
/// Errors: bad_request (a URL or event list out of shape), not_found (no
/// such tenant or endpoint), wrong_state (the tenant has
/// max_endpoints_per_tenant already), internal (the database failed).
class webhook_registry {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds

  /// Opens (creating and migrating) the database file.
  static protocol::result<std::shared_ptr<webhook_registry>>
  open(const std::string& address, webhook_policy policy = {}, clock now_ms = {});

  /// `events`: type names (see webhook_event_type) or "*"; not empty.
  protocol::result<new_webhook_endpoint> create(const std::string& tenant, const std::string& url,
                                                const std::vector<std::string>& events);
  /// Oldest first.
  protocol::result<std::vector<webhook_endpoint>> list(const std::string& tenant);
  /// The endpoint goes, with its undelivered events and their log.
  protocol::error remove(const std::string& tenant, const std::string& id);
  /// The delivery log, newest attempt first, at most `limit` (1..1000)
  /// rows; `only_failed`: attempts that got no 2xx answer.
  protocol::result<std::vector<webhook_delivery>> deliveries(const std::string& tenant,
                                                             std::size_t limit,
                                                             bool only_failed = false);
  protocol::result<webhook_outbox_counts> outbox_counts(const std::string& tenant);
  /// For operators (every tenant): forgets delivered and failed events
  /// queued before `before_ms`, with their log, so the outbox does not grow
  /// forever. Pending ones stay. Returns how many events went.
  protocol::result<int64_t> purge(int64_t before_ms);

  const webhook_policy& policy() const { return policy_; }

private:
  webhook_registry(std::unique_ptr<database> db, webhook_policy policy, clock now_ms)
    : db_(std::move(db)), policy_(policy), now_ms_(std::move(now_ms)) {}

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  webhook_policy policy_;
  clock now_ms_;
};

/// Puts `event_type` with `body_json` in the outbox of every enabled
/// endpoint of `tenant` subscribed to it, due at once. For the history
/// writer, INSIDE its open transaction on `db`: the event is announced if
/// and only if its history is recorded. The same `event_id` for the same
/// endpoint is queued once (a replayed journal adds nothing). A tenant
/// without endpoints costs one indexed query. Errors: bad_request (an
/// unknown type, an empty or over-long id, a body over 256 KiB), internal.
protocol::error enqueue_webhook_event(database& db, const std::string& tenant,
                                      const std::string& event_id, const std::string& event_type,
                                      const std::string& body_json, int64_t now_ms);

/// The Lamplight-Signature header of `body` sent at `unix_seconds`:
/// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". The time
/// is signed so a captured request cannot be replayed later.
std::string webhook_signature(std::string_view secret, int64_t unix_seconds, std::string_view body);

/// For receivers (and tests): whether `header` holds a v1 signature of
/// `body` under `secret` (compared in constant time) with a time within
/// `tolerance_s` of `now_s`. Several v1 values are allowed (any may match).
bool verify_webhook_signature(std::string_view secret, std::string_view header,
                              std::string_view body, int64_t now_s, int64_t tolerance_s = 300);

} // namespace lamplight::backend
