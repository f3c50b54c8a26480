#include "media/stream_rewriter.hpp"

#include <algorithm>

namespace lamplight::media {

namespace {

/// RFC 7741 picture ids count modulo 2^15 (a 7-bit field keeps the low
/// bits of the same count).
bool newer_picture_id(uint16_t a, uint16_t b) {
  auto d = static_cast<uint16_t>((a - b) & 0x7FFF);
  return d != 0 && d < 0x4000;
}

uint16_t picture_id_plus(uint16_t id, uint16_t offset) {
  return static_cast<uint16_t>((id + offset) & 0x7FFF);
}

} // namespace

stream_rewriter::stream_rewriter(uint32_t clock_rate, uint16_t start_seq)
  : clock_rate_(clock_rate), start_seq_(start_seq) {}

void stream_rewriter::switch_to(int source, const rtp_packet& p, const vp8_descriptor* vp8,
                                int64_t now_ms) {
  auto in_seq = p.sequence();
  if (!sent_any_) {
    // The first source keeps its timeline and picture ids; only the
    // sequence space is the subscriber's own.
    offsets_ = {static_cast<uint16_t>(start_seq_ - in_seq), 0, 0, 0};
  } else {
    offsets_.seq = static_cast<uint16_t>(last_seq_ + 1 - in_seq);
    auto gap_ms = std::max<int64_t>(0, now_ms - last_ts_ms_);
    auto gap = std::max<uint32_t>(1, static_cast<uint32_t>(gap_ms * clock_rate_ / 1000));
    offsets_.ts = last_ts_ + gap - p.timestamp();
    if (vp8 && vp8->has_picture_id && have_picture_id_)
      offsets_.picture_id = picture_id_plus(last_picture_id_ + 1, 0x8000 - vp8->picture_id);
    if (vp8 && vp8->has_tl0picidx && have_tl0_)
      offsets_.tl0picidx = static_cast<uint8_t>(last_tl0_ + 1 - vp8->tl0picidx);
  }
  source_ = source;
  switch_seq_ = in_seq;
}

void stream_rewriter::apply(rtp_packet& p, const offsets& o, const vp8_descriptor* vp8) {
  p.set_sequence(static_cast<uint16_t>(p.sequence() + o.seq));
  p.set_timestamp(p.timestamp() + o.ts);
  if (!vp8)
    return;
  auto* payload = p.data() + p.header_size();
  if (vp8->has_picture_id && o.picture_id != 0)
    rewrite_vp8_picture_id(payload, p.payload_size(), picture_id_plus(vp8->picture_id, o.picture_id));
  if (vp8->has_tl0picidx && o.tl0picidx != 0)
    rewrite_vp8_tl0picidx(payload, p.payload_size(),
                          static_cast<uint8_t>(vp8->tl0picidx + o.tl0picidx));
}

bool stream_rewriter::rewrite(int source, rtp_packet& p, const vp8_descriptor* vp8,
                              int64_t now_ms) {
  if (source != source_ || seq_diff(p.sequence(), switch_seq_) < 0)
    return false;
  auto in_seq = p.sequence();
  apply(p, offsets_, vp8);
  auto out_seq = p.sequence();
  if (!sent_any_ || seq_diff(out_seq, last_seq_) > 0)
    last_seq_ = out_seq;
  if (!sent_any_ || static_cast<int32_t>(p.timestamp() - last_ts_) > 0) {
    last_ts_ = p.timestamp();
    last_ts_ms_ = now_ms;
  }
  if (vp8 && vp8->has_picture_id) {
    auto id = picture_id_plus(vp8->picture_id, offsets_.picture_id);
    if (!have_picture_id_ || newer_picture_id(id, last_picture_id_)) {
      have_picture_id_ = true;
      last_picture_id_ = id;
    }
  }
  if (vp8 && vp8->has_tl0picidx) {
    auto tl0 = static_cast<uint8_t>(vp8->tl0picidx + offsets_.tl0picidx);
    if (!have_tl0_ || static_cast<int8_t>(tl0 - last_tl0_) > 0) {
      have_tl0_ = true;
      last_tl0_ = tl0;
    }
  }
  sent_any_ = true;
  sent_[out_seq % history] = {true, out_seq, in_seq, static_cast<int16_t>(source), offsets_};
  return true;
}

std::optional<stream_rewriter::sent> stream_rewriter::lookup(uint16_t out_seq) const {
  const auto& s = sent_[out_seq % history];
  if (s.valid && s.out_seq == out_seq)
    return s;
  if (source_ < 0 || !sent_any_)
    return std::nullopt;
  auto in_seq = static_cast<uint16_t>(out_seq - offsets_.seq);
  // Only between the switch and what was sent last: before the switch it
  // would name another source's packet, after it a packet not yet sent.
  if (seq_diff(in_seq, switch_seq_) < 0 || seq_diff(out_seq, last_seq_) > 0)
    return std::nullopt;
  return sent{true, out_seq, in_seq, static_cast<int16_t>(source_), offsets_};
}

std::optional<stream_rewriter::original> stream_rewriter::origin(uint16_t out_seq) const {
  auto s = lookup(out_seq);
  if (!s)
    return std::nullopt;
  return original{s->source, s->in_seq};
}

bool stream_rewriter::rewrite_again(rtp_packet& p, uint16_t out_seq,
                                    const vp8_descriptor* vp8) const {
  auto s = lookup(out_seq);
  if (!s || p.sequence() != s->in_seq)
    return false;
  apply(p, s->at, vp8);
  return true;
}

} // namespace lamplight::media
