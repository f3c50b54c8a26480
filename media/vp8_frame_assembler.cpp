#include "media/vp8_frame_assembler.hpp"

#include "media/vp8_descriptor.hpp"

namespace lamplight::media {

namespace {
// A jump further than this is a restarted stream, not a loss to NACK.
constexpr int64_t max_gap = 512;
} // namespace

vp8_frame_assembler::vp8_frame_assembler() : vp8_frame_assembler(options{}) {}

vp8_frame_assembler::vp8_frame_assembler(options opts) : opts_(opts) {}

int64_t vp8_frame_assembler::extend(uint16_t seq) {
  if (!highest_)
    return seq;
  return *highest_ + seq_diff(seq, static_cast<uint16_t>(*highest_));
}

void vp8_frame_assembler::push(const rtp_packet& p, int64_t now_ms) {
  ++stats_.packets;
  auto d = parse_vp8_descriptor(p.payload(), p.payload_size());
  if (!d || d->size >= p.payload_size()) {
    ++stats_.malformed;
    return;
  }
  auto ext = extend(p.sequence());
  if ((next_ && ext < *next_) || packets_.count(ext) != 0) {
    ++stats_.duplicates;
    return;
  }
  held h;
  h.timestamp = p.timestamp();
  h.marker = p.marker();
  h.start = d->start_of_partition && d->partition_id == 0;
  h.keyframe = d->keyframe;
  h.has_picture_id = d->has_picture_id;
  h.picture_id = d->picture_id;
  h.payload.assign(p.payload() + d->size, p.payload() + p.payload_size());
  packets_.emplace(ext, std::move(h));
  missing_.erase(ext);
  if (!highest_ || ext > *highest_) {
    if (highest_ && ext - *highest_ <= max_gap)
      for (auto s = *highest_ + 1; s < ext; ++s)
        missing_.emplace(s, asked{now_ms, 0, 0});
    highest_ = ext;
  }
  if (need_key_ && waiting_since_ms_ < 0)
    waiting_since_ms_ = now_ms;
  if (packets_.size() > opts_.max_packets) {
    // Holding this much means the head will not come: start over.
    ++stats_.frames_abandoned;
    keyframe_due_ = true;
    need_key_ = true;
    next_ = packets_.rbegin()->first + 1;
    packets_.clear();
    missing_.clear();
    waiting_since_ms_ = now_ms;
  }
}

std::optional<vp8_frame> vp8_frame_assembler::pop(int64_t now_ms) {
  for (;;) {
    if (need_key_) {
      auto k = next_ ? packets_.lower_bound(*next_) : packets_.begin();
      while (k != packets_.end() && !(k->second.start && k->second.keyframe))
        ++k;
      if (k == packets_.end()) {
        if (waiting_since_ms_ >= 0 && now_ms - waiting_since_ms_ >= opts_.keyframe_wait_ms) {
          keyframe_due_ = true;
          waiting_since_ms_ = now_ms;
        }
        return std::nullopt;
      }
      next_ = k->first;
      packets_.erase(packets_.begin(), k);
      missing_.erase(missing_.begin(), missing_.lower_bound(*next_));
      need_key_ = false;
      waiting_since_ms_ = -1;
    }
    // Walk from the head while the sequence is unbroken, up to the marker.
    auto it = packets_.find(*next_);
    bool broken = it != packets_.end() && !it->second.start;
    if (it != packets_.end() && !broken) {
      auto first = it;
      auto e = *next_;
      while (it != packets_.end() && it->first == e && it->second.timestamp == first->second.timestamp
             && !it->second.marker) {
        ++it;
        ++e;
      }
      if (it != packets_.end() && it->first == e) {
        if (it->second.timestamp != first->second.timestamp) {
          broken = true;  // a new frame began before this one's marker
        } else {
          vp8_frame f;
          f.timestamp = first->second.timestamp;
          f.keyframe = first->second.keyframe;
          f.has_picture_id = first->second.has_picture_id;
          f.picture_id = first->second.picture_id;
          f.first_seq = static_cast<uint16_t>(first->first);
          f.last_seq = static_cast<uint16_t>(e);
          auto end = std::next(it);
          for (auto x = first; x != end; ++x)
            f.data.insert(f.data.end(), x->second.payload.begin(), x->second.payload.end());
          packets_.erase(first, end);
          next_ = e + 1;
          missing_.erase(missing_.begin(), missing_.lower_bound(*next_));
          ++stats_.frames;
          return f;
        }
      }
    }
    if (!broken) {
      // Incomplete: wait for the first missing packet, up to the patience.
      auto m = missing_.lower_bound(*next_);
      if (m == missing_.end() || now_ms - m->second.first_missed_ms <= opts_.patience_ms)
        return std::nullopt;
    }
    // The head frame cannot be completed: nothing decodes before a key frame.
    ++stats_.frames_abandoned;
    keyframe_due_ = true;
    need_key_ = true;
    next_ = *next_ + 1;
    waiting_since_ms_ = now_ms;
  }
}

std::vector<uint16_t> vp8_frame_assembler::nack_list(int64_t now_ms) {
  std::vector<uint16_t> out;
  for (auto& [e, a] : missing_) {
    if (a.nacks >= opts_.max_nacks || (a.nacks > 0 && now_ms - a.last_nack_ms < opts_.nack_interval_ms))
      continue;
    ++a.nacks;
    a.last_nack_ms = now_ms;
    out.push_back(static_cast<uint16_t>(e));
  }
  stats_.nacked += out.size();
  return out;
}

bool vp8_frame_assembler::take_keyframe_request() {
  bool due = keyframe_due_;
  keyframe_due_ = false;
  return due;
}

} // namespace lamplight::media
