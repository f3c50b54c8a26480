#include "backend/api_nonces.hpp"

#include "backend/random_id.hpp"
#include "backend/schema.hpp"

namespace lamplight::backend {

namespace {

using protocol::errc;

constexpr int64_t sweep_every_ms = 60'000;

} // namespace

protocol::result<std::shared_ptr<api_nonce_store>> api_nonce_store::open(
  const std::string& address, clock now_ms) {
  if (!now_ms)
    now_ms = wall_ms;
  auto db = open_migrated(address, now_ms());
  if (!db)
    return db.err();
  return std::shared_ptr<api_nonce_store>(new api_nonce_store(std::move(*db), std::move(now_ms)));
}

protocol::result<bool> api_nonce_store::claim(const std::string& kid, const std::string& nonce,
                                              int64_t expires_ms) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto now = now_ms_();
  if (now >= next_sweep_ms_) {
    next_sweep_ms_ = now + sweep_every_ms;
    auto sweep = db_->prepare("DELETE FROM api_nonces WHERE expires_ms < ?");
    if (!sweep)
      return sweep.err();
    if (auto err = sweep->bind(1, now).run(); err.code != errc::none)
      return err;
  }
  // The primary key decides between two nodes claiming at once: one insert
  // changes a row, the other none.
  auto q = db_->prepare("INSERT INTO api_nonces (kid, nonce, expires_ms) VALUES (?, ?, ?) "
                        "ON CONFLICT (kid, nonce) DO NOTHING");
  if (!q)
    return q.err();
  if (auto err = q->bind(1, kid).bind(2, nonce).bind(3, expires_ms).run(); err.code != errc::none)
    return err;
  return db_->changes() == 1;
}

} // namespace lamplight::backend
