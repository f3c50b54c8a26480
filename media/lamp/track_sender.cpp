#include "media/lamp/track_sender.hpp"

#include <variant>

#include <openssl/rand.h>

#include "media/rtp_packet.hpp"
#include "media/vp8_packetizer.hpp"

namespace lamplight::media::lamp {

namespace {

template <class T>
T random_value() {
  T v{};
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof(v));
  return v;
}

std::vector<uint8_t> rtp_header(uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
                                uint32_t ssrc) {
  return {0x80,
          static_cast<uint8_t>((marker ? 0x80 : 0) | pt),
          static_cast<uint8_t>(seq >> 8),
          static_cast<uint8_t>(seq),
          static_cast<uint8_t>(ts >> 24),
          static_cast<uint8_t>(ts >> 16),
          static_cast<uint8_t>(ts >> 8),
          static_cast<uint8_t>(ts),
          static_cast<uint8_t>(ssrc >> 24),
          static_cast<uint8_t>(ssrc >> 16),
          static_cast<uint8_t>(ssrc >> 8),
          static_cast<uint8_t>(ssrc)};
}

// Catching up after a stall sends at most this many frames at once; past
// it the schedule restarts, as a real camera would just drop frames.
constexpr int64_t max_catch_up = 5;

} // namespace

track_sender::track_sender(std::shared_ptr<const media_clip> clip, uint32_t ssrc,
                           uint8_t payload_type)
  : clip_(std::move(clip)),
    ssrc_(ssrc),
    payload_type_(payload_type),
    seq_(random_value<uint16_t>()),
    timestamp_(random_value<uint32_t>()),
    picture_id_(random_value<uint16_t>() & 0x7FFF) {}

void track_sender::due(int64_t now_ms, std::vector<std::vector<uint8_t>>& out) {
  if (!started_) {
    started_ = true;
    next_ms_ = now_ms;
  }
  if (now_ms - next_ms_ > max_catch_up * clip_->frame_interval_ms)
    next_ms_ = now_ms;
  while (next_ms_ <= now_ms) {
    last_frame_ms_ = next_ms_;
    last_frame_ts_ = timestamp_;
    send_frame(out);
    next_ms_ += clip_->frame_interval_ms;
  }
}

void track_sender::send_frame(std::vector<std::vector<uint8_t>>& out) {
  const auto& f = clip_->frames[frame_no_ % clip_->frames.size()];
  std::vector<std::vector<uint8_t>> payloads;
  if (clip_->kind == clip_kind::video) {
    const auto& bytes = key_wanted_ && !f.key.empty() ? f.key : f.data;
    payloads = packetize_vp8(bytes.data(), bytes.size(), picture_id_, max_payload);
    picture_id_ = static_cast<uint16_t>((picture_id_ + 1) & 0x7FFF);
    key_wanted_ = false;
  } else {
    payloads.push_back(f.data);
  }
  if (clip_->kind == clip_kind::video)
    stats_.frame_sent_us[(frame_no_ % clip_->frames.size()) & 0xFF] = steady_us();
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    auto pkt = rtp_header(payload_type_, i + 1 == payloads.size(), seq_, timestamp_, ssrc_);
    if (level_ext_ != 0 && level_) {
      // RFC 8285's one-byte form: one element (length 1) padded to a word.
      pkt[0] |= 0x10;
      auto level = static_cast<uint8_t>(level_->load(std::memory_order_relaxed) & 0x7F);
      pkt.insert(pkt.end(), {0xBE, 0xDE, 0x00, 0x01, static_cast<uint8_t>(level_ext_ << 4), level,
                             0x00, 0x00});
    }
    pkt.insert(pkt.end(), payloads[i].begin(), payloads[i].end());
    history_[seq_ % history_size] = pkt;
    octets_ += payloads[i].size();
    out.push_back(std::move(pkt));
    ++seq_;
    ++stats_.packets;
  }
  timestamp_ += clip_->frame_ticks;
  ++frame_no_;
  ++stats_.frames;
}

std::vector<uint8_t> track_sender::sender_report(int64_t now_ms) const {
  std::vector<uint8_t> out;
  if (stats_.frames == 0)
    return out;
  auto rtp = last_frame_ts_
             + static_cast<uint32_t>((now_ms - last_frame_ms_) * clip_->clock_rate / 1000);
  write_rtcp(out, media::sender_report{ssrc_, ntp_time(std::chrono::system_clock::now()), rtp,
                                       static_cast<uint32_t>(stats_.packets),
                                       static_cast<uint32_t>(octets_), {}});
  return out;
}

void track_sender::on_rtcp(const std::vector<rtcp_message>& msgs,
                           std::vector<std::vector<uint8_t>>& out) {
  for (const auto& m : msgs) {
    if (auto* n = std::get_if<nack>(&m); n && n->media_ssrc == ssrc_) {
      for (uint16_t s : n->lost) {
        const auto& kept = history_[s % history_size];
        auto view = kept.empty() ? std::nullopt
                                 : rtp_packet::parse(const_cast<uint8_t*>(kept.data()), kept.size());
        if (view && view->sequence() == s) {
          out.push_back(kept);
          ++stats_.retransmitted;
        } else {
          ++stats_.not_retransmitted;
        }
      }
    } else if (auto* p = std::get_if<pli>(&m); p && p->media_ssrc == ssrc_) {
      key_wanted_ = true;
      ++stats_.keyframes_requested;
    } else if (auto* f = std::get_if<fir>(&m)) {
      for (const auto& e : f->entries)
        if (e.ssrc == ssrc_) {
          key_wanted_ = true;
          ++stats_.keyframes_requested;
        }
    }
  }
}

} // namespace lamplight::media::lamp
