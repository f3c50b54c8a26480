#pragma once

// Server API nonces shared by the nodes of a cluster (the api_nonces table):
// a signed request accepted by one node is refused as a replay by every
// other within its time window. Each node's api_request_verifier keeps its
// own memory first (no database round trip for a replay to the same node)
// and claims each new nonce here.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "backend/database.hpp"

namespace lamplight::backend {

/// Thread-safe. Errors: internal (the database failed).
class api_nonce_store {
public:
  using clock = std::function<int64_t()>;  // wall milliseconds

  static protocol::result<std::shared_ptr<api_nonce_store>> open(const std::string& address,
                                                                 clock now_ms = {});

  /// true if (kid, nonce) was not claimed before: it is now, until
  /// `expires_ms`; false if some node claimed it already (a replay). Expired
  /// claims are swept about once a minute, by whichever call comes then.
  protocol::result<bool> claim(const std::string& kid, const std::string& nonce,
                               int64_t expires_ms);

private:
  api_nonce_store(std::unique_ptr<database> db, clock now_ms)
    : db_(std::move(db)), now_ms_(std::move(now_ms)) {}

  std::mutex mtx_;
  std::unique_ptr<database> db_;
  clock now_ms_;
  int64_t next_sweep_ms_ = 0;
};

} // namespace lamplight::backend
