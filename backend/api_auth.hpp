// Authentication of an institution's backend to lamplight's server API
// (/api/v1/...): each request is signed with one of the tenant's API keys
// (tenant_registry), so the secret never travels, a captured request cannot
// be replayed, and a tampered method, target or body is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "protocol/errc.hpp"
#include "protocol/token.hpp"

namespace lamplight::backend {

// ---------------------------------------------------------------------------
// The scheme, LL1-HMAC-SHA256: what a sender does and a receiver checks.
//
// Header (one field, exactly this form; `sign_api_request` writes it):
//
//   Authorization: LL1-HMAC-SHA256 kid=<kid>, ts=<ts>, nonce=<nonce>, sig=<sig>
//
//   - The scheme name, then exactly one space, then the four fields joined by
//     exactly ", " (comma, one space). No other whitespace, no quotes, no
//     spaces around "=". Each field exactly once, in any order; a field not
//     listed here is refused (a new field means a new scheme name). The
//     scheme name is matched case-insensitively (RFC 9110 section 11.1),
//     field names are lower case. Leading and trailing spaces and tabs of the
//     whole value are not part of it (RFC 9110 section 5.5) and are ignored.
//     The whole value is at most `max_api_authorization_bytes`.
//   - kid:   the API key's id as tenant_registry makes it: "k_" and 16
//            lower-case hex digits.
//   - ts:    the sender's clock in seconds since the Unix epoch, decimal, 1 to
//            10 digits, no sign, no leading zero.
//   - nonce: 16 to 64 characters of [A-Za-z0-9_-], never reused with the same
//            kid (`make_api_nonce` gives 32 random hex digits).
//   - sig:   64 lower-case hex digits: HMAC-SHA256(secret, string_to_sign),
//            where the HMAC key is the secret exactly as tenant_registry shows
//            it (its 64 ASCII characters, not hex-decoded).
//
// string_to_sign (`api_string_to_sign`), lines joined by "\n", no trailing
// newline:
//
//   LL1-HMAC-SHA256
//   <ts, as in the header>
//   <nonce>
//   <METHOD: the request method in ASCII upper case, 1..20 letters>
//   <target: the request-target exactly as sent, path and query, e.g.
//    /api/v1/classrooms?limit=10 - printable ASCII without spaces (RFC 9112
//    origin-form), starting with "/", at most `max_api_target_bytes`>
//   <lower-case hex SHA-256 of the body as sent; of "" when there is none>
//
// Every line is of a restricted alphabet without "\n", so two different
// requests never have the same string_to_sign.
//
// The receiver refuses (errc::unauthenticated, with a message saying why):
//   - a missing or malformed header, or a method or target out of shape;
//   - ts more than `window_s` (default 300 s) before or after its own clock
//     (the message says which way, to help a sender with a wrong clock);
//   - a kid that is unknown, revoked, expired or of a suspended tenant (one
//     message for all: nobody learns which kids exist);
//   - a wrong sig (compared in constant time);
//   - a nonce already accepted for that kid within the window (a replay).
// Checks happen in that order, and only a request that passed all of them is
// remembered: a refused request never uses up a nonce, so an attacker cannot
// burn a legitimate client's nonce by sending it first with a bad signature.
// When its memory of nonces is full the receiver refuses validly signed
// requests with errc::unavailable ("too many requests"); see
// api_request_verifier.
//
// Across a cluster each node keeps its own nonce memory and also claims each
// accepted nonce in the cluster's database (api_nonce_store), so a request
// captured on its way to one node is refused by every other too.
// ---------------------------------------------------------------------------

inline constexpr std::string_view api_auth_scheme = "LL1-HMAC-SHA256";

/// Longest Authorization value accepted; anything longer is refused before
/// parsing (a well-formed one is at most 195 bytes).
inline constexpr std::size_t max_api_authorization_bytes = 256;

/// Longest request-target that can be signed.
inline constexpr std::size_t max_api_target_bytes = 8192;

/// The fields of an Authorization header value, each checked for shape only.
struct api_authorization {
  std::string kid;
  int64_t timestamp = 0;  // unix seconds, 0..9'999'999'999
  std::string nonce;
  std::string signature;  // 64 lower-case hex digits

  friend bool operator==(const api_authorization& a, const api_authorization& b);
};

/// Parses an Authorization header value (pure: no key, no clock). Anything
/// but the exact form above is errc::unauthenticated with a message naming
/// what is wrong (never the offending bytes, which could be anything).
/// Never throws.
protocol::result<api_authorization> parse_api_authorization(std::string_view header);

/// The string a request's signature is made over (see above), or "" if the
/// method, target, ts or nonce is out of shape.
std::string api_string_to_sign(int64_t unix_seconds, std::string_view nonce,
                               std::string_view method, std::string_view target,
                               std::string_view body);

/// For senders (lamplight-admin, tests, SDKs): the Authorization value of a
/// request, signed with the key (`kid`, `secret`). `method` is upper-cased.
/// "" if an argument is out of shape (a receiver would refuse the request
/// anyway): kid, nonce, method, target, or unix_seconds not in 0..9'999'999'999.
std::string sign_api_request(std::string_view kid, std::string_view secret,
                             std::string_view method, std::string_view target,
                             std::string_view body, int64_t unix_seconds,
                             std::string_view nonce);

/// A fresh nonce: 32 random lower-case hex digits ("" if the CSPRNG fails).
std::string make_api_nonce();

/// Who signed an accepted request. The caller filters everything the request
/// touches by `tenant` (a tenant id in the path must equal it).
struct api_caller {
  std::string tenant;
  std::string kid;
};

/// The receiver's side. Thread-safe: the node's HTTP threads call `verify`
/// concurrently. The key lookup and the clock are called outside the
/// verifier's lock, so they must be thread-safe themselves
/// (tenant_registry::lookup is).
///
/// Nonce memory: each accepted (kid, nonce) is remembered until its ts has
/// left the window, then forgotten - a replay of it is then refused for its
/// stale ts anyway. At most `max_nonces` are remembered; when that many
/// accepted requests are still within their window, new ones are refused
/// with errc::unavailable rather than forgetting a nonce early, which would
/// let a request captured within the window be replayed. Only validly signed
/// requests are remembered, so only a holder of a live key can fill the
/// memory; the default admits a sustained 333 requests/s per node at the
/// default window, in about 20 MB at most. A rate limit per tenant in front
/// keeps one tenant from filling it for all.
///
/// Forgetting follows the highest clock reading seen, and a ts older than
/// that reading minus the window is refused: a wall clock stepped back
/// cannot bring a forgotten request back into the window.
class api_request_verifier {
public:
  using clock = std::function<int64_t()>;  // unix seconds

  static constexpr int64_t default_window_s = 300;
  static constexpr int64_t max_window_s = 86400;
  static constexpr std::size_t default_max_nonces = 100'000;

  /// Claims a nonce for the whole cluster until `expires_ms`
  /// (api_nonce_store::claim): true if nobody had.
  using nonce_claim = std::function<protocol::result<bool>(
    const std::string& kid, const std::string& nonce, int64_t expires_ms)>;

  /// `now_s` defaults to the wall clock; `window_s` is clamped to
  /// 0..max_window_s. An empty `keys` knows no key. `shared_nonces`, if
  /// given, is asked after the verifier's own memory; a claim that fails
  /// (the database is gone) refuses the request with unavailable.
  explicit api_request_verifier(protocol::key_lookup keys, clock now_s = {},
                                int64_t window_s = default_window_s,
                                std::size_t max_nonces = default_max_nonces,
                                nonce_claim shared_nonces = {});

  /// Checks a request as received: `method` and `target` as on the request
  /// line (Beast: req.method_string(), req.target()), `body` the bytes as
  /// received (before any decoding), `authorization` the Authorization field
  /// value ("" if absent; a request with more than one Authorization field
  /// should be refused by the caller before). The caller of a successful
  /// verification then serves only `tenant`'s data.
  /// Errors: unauthenticated (see the scheme above), unavailable (nonce
  /// memory full, or the shared nonce store unreachable), internal (a live
  /// key without a secret).
  protocol::result<api_caller> verify(std::string_view method, std::string_view target,
                                      std::string_view body, std::string_view authorization);

  /// How many nonces are remembered now (for metrics and tests).
  std::size_t remembered_nonces() const;

private:
  // This node's memory: refuses a replay, remembers a new nonce.
  protocol::error remember_nonce(const std::string& kid, const std::string& nonce, int64_t ts,
                                 int64_t now);
  // Expects mtx_ held: forgets the nonces whose ts has left the window.
  void forget_expired_locked();

  protocol::key_lookup keys_;
  clock now_s_;
  int64_t window_s_;
  std::size_t max_nonces_;
  nonce_claim shared_nonces_;

  mutable std::mutex mtx_;
  int64_t high_water_s_ = 0;  // the highest clock reading seen
  // Remembered "kid:nonce" keys, and pointers to them (elements of an
  // unordered_set keep their address) by the last second at which their ts
  // is still within the window: a min-heap, so forgetting costs O(log n)
  // per nonce forgotten and each key is stored once.
  struct expiry {
    int64_t last_s;
    const std::string* key;
  };
  struct later {
    bool operator()(const expiry& a, const expiry& b) const { return a.last_s > b.last_s; }
  };
  std::unordered_set<std::string> seen_;
  std::priority_queue<expiry, std::vector<expiry>, later> expiries_;
};

} // namespace lamplight::backend
