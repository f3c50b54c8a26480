#include "media/lamp/track_receiver.hpp"

#include <opus/opus.h>
#include <openssl/rand.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "media/lamp/frame_stamp.hpp"
#include "media/rtcp_packet.hpp"

namespace lamplight::media::lamp {

struct track_receiver::codecs {
  vpx_codec_ctx_t vpx{};
  bool vpx_open = false;
  OpusDecoder* opus = nullptr;
  std::vector<opus_int16> pcm = std::vector<opus_int16>(5760);

  ~codecs() {
    if (vpx_open)
      vpx_codec_destroy(&vpx);
    if (opus)
      opus_decoder_destroy(opus);
  }
};

track_receiver::track_receiver(clip_kind kind)
  : kind_(kind), codecs_(std::make_unique<codecs>()) {
  RAND_bytes(reinterpret_cast<unsigned char*>(&own_ssrc_), sizeof(own_ssrc_));
  if (kind_ == clip_kind::video) {
    codecs_->vpx_open = vpx_codec_dec_init(&codecs_->vpx, vpx_codec_vp8_dx(), nullptr, 0)
                        == VPX_CODEC_OK;
  } else {
    int err = 0;
    codecs_->opus = opus_decoder_create(48000, 1, &err);
    if (err != OPUS_OK)
      codecs_->opus = nullptr;
  }
}

track_receiver::~track_receiver() = default;

void track_receiver::on_rtp(const rtp_packet& p, int64_t now_ms) {
  ++stats_.packets;
  media_ssrc_ = p.ssrc();
  if (kind_ == clip_kind::video)
    on_video(p, now_ms);
  else
    on_audio(p);
}

void track_receiver::on_video(const rtp_packet& p, int64_t now_ms) {
  if (first_arrival_us_.emplace(p.timestamp(), steady_us()).second
      && first_arrival_us_.size() > 32)
    first_arrival_us_.erase(first_arrival_us_.begin());  // frames never completed
  assembler_.push(p, now_ms);
  while (auto f = assembler_.pop(now_ms))
    decode_video(*f);
}

void track_receiver::decode_video(const vp8_frame& f) {
  if (!codecs_->vpx_open
      || vpx_codec_decode(&codecs_->vpx, f.data.data(), static_cast<unsigned>(f.data.size()),
                          nullptr, 0)
           != VPX_CODEC_OK) {
    ++stats_.decode_errors;
    return;
  }
  vpx_codec_iter_t iter = nullptr;
  while (vpx_image_t* img = vpx_codec_get_frame(&codecs_->vpx, &iter)) {
    ++stats_.frames_decoded;
    auto s = read_stamp(img->planes[VPX_PLANE_Y], img->stride[VPX_PLANE_Y],
                        static_cast<int>(img->d_w), static_cast<int>(img->d_h));
    if (!s || s->clip_frames == 0) {
      ++stats_.unreadable;
      continue;
    }
    if (stats_.last_stamp && s->number != (*stats_.last_stamp + 1) % s->clip_frames)
      ++stats_.stamp_gaps;
    if (!stats_.first_stamp)
      stats_.first_stamp = s->number;
    stats_.last_stamp = s->number;
    stats_.source = s->source;
    if (auto a = first_arrival_us_.find(f.timestamp); a != first_arrival_us_.end()) {
      stats_.arrivals[stats_.arrivals_next] = {s->number, a->second};
      stats_.arrivals_next = (stats_.arrivals_next + 1) % receiver_stats::arrival_samples;
      ++stats_.arrivals_total;
      first_arrival_us_.erase(a);
    }
  }
}

void track_receiver::on_audio(const rtp_packet& p) {
  int64_t ext = p.sequence();
  if (highest_seq_)
    ext = *highest_seq_ + seq_diff(p.sequence(), static_cast<uint16_t>(*highest_seq_));
  if (!first_seq_ || ext < *first_seq_)
    first_seq_ = ext;
  if (!highest_seq_ || ext > *highest_seq_)
    highest_seq_ = ext;
  ++audio_received_;
  if (!codecs_->opus) {
    ++stats_.decode_errors;
    return;
  }
  int n = opus_decode(codecs_->opus, p.payload(), static_cast<opus_int32>(p.payload_size()),
                      codecs_->pcm.data(), static_cast<int>(codecs_->pcm.size()), 0);
  if (n > 0)
    ++stats_.frames_decoded;
  else
    ++stats_.decode_errors;
}

std::vector<uint8_t> track_receiver::feedback(int64_t now_ms) {
  std::vector<uint8_t> out;
  if (kind_ != clip_kind::video || media_ssrc_ == 0)
    return out;
  // Time passing can complete nothing, but it can make a missing packet
  // hopeless, which frees the frames behind it.
  while (auto f = assembler_.pop(now_ms))
    decode_video(*f);
  auto lost = assembler_.nack_list(now_ms);
  if (!lost.empty()) {
    stats_.nacks_sent += lost.size();
    write_rtcp(out, nack{own_ssrc_, media_ssrc_, std::move(lost)});
  }
  if (assembler_.take_keyframe_request()) {
    ++stats_.plis_sent;
    write_rtcp(out, pli{own_ssrc_, media_ssrc_});
  }
  return out;
}

receiver_stats track_receiver::stats() const {
  auto s = stats_;
  s.frames_abandoned = assembler_.stats().frames_abandoned;
  if (first_seq_ && highest_seq_)
    s.audio_lost = static_cast<uint64_t>(*highest_seq_ - *first_seq_ + 1) - audio_received_;
  return s;
}

} // namespace lamplight::media::lamp
