#include "media/lamp/media_clip.hpp"

#include <chrono>

#include <cmath>

#include <opus/opus.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "media/lamp/frame_stamp.hpp"

namespace lamplight::media::lamp {

using protocol::errc;

const char* to_string(clip_kind x) {
  switch (x) {
    case clip_kind::audio: return "audio";
    case clip_kind::video: return "video";
  }
  return "?";
}

const char* to_string(camera x) {
  switch (x) {
    case camera::face: return "face";
    case camera::desk: return "desk";
  }
  return "?";
}

namespace {

/// One libvpx VP8 encoder, freed on every path.
class vp8_encoder {
public:
  bool open(const video_clip_params& p) {
    vpx_codec_enc_cfg_t cfg;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK)
      return false;
    cfg.g_w = static_cast<unsigned>(p.width);
    cfg.g_h = static_cast<unsigned>(p.height);
    cfg.g_timebase = {1, p.fps};
    cfg.g_threads = 1;
    cfg.g_lag_in_frames = 0;  // real time: a frame out for every frame in
    cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg.rc_end_usage = VPX_CBR;
    cfg.rc_target_bitrate = static_cast<unsigned>(p.kbps);
    cfg.rc_dropframe_thresh = 0;  // never skip a picture: every stamp must exist
    cfg.kf_mode = VPX_KF_DISABLED;  // key frames only when forced
    if (vpx_codec_enc_init(&ctx_, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK)
      return false;
    open_ = true;
    vpx_codec_control(&ctx_, VP8E_SET_CPUUSED, -6);
    return true;
  }
  ~vp8_encoder() {
    if (open_)
      vpx_codec_destroy(&ctx_);
  }
  std::vector<uint8_t> encode(vpx_image_t* img, int64_t pts, bool key) {
    std::vector<uint8_t> out;
    if (vpx_codec_encode(&ctx_, img, pts, 1, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME)
        != VPX_CODEC_OK)
      return out;
    vpx_codec_iter_t iter = nullptr;
    while (const vpx_codec_cx_pkt_t* pkt = vpx_codec_get_cx_data(&ctx_, &iter))
      if (pkt->kind == VPX_CODEC_CX_FRAME_PKT) {
        auto* b = static_cast<const uint8_t*>(pkt->data.frame.buf);
        out.insert(out.end(), b, b + pkt->data.frame.sz);
      }
    return out;
  }

private:
  vpx_codec_ctx_t ctx_{};
  bool open_ = false;
};

void paint(vpx_image_t* img, int index, camera source) {
  // A gradient that moves, so delta frames carry motion like a camera's.
  for (unsigned y = 0; y < img->d_h; ++y) {
    auto* row = img->planes[VPX_PLANE_Y] + y * static_cast<unsigned>(img->stride[VPX_PLANE_Y]);
    for (unsigned x = 0; x < img->d_w; ++x)
      row[x] = static_cast<uint8_t>(60 + ((x + y + 4 * static_cast<unsigned>(index)) & 127));
  }
  // The face camera is tinted blue, the desk camera paper-yellow.
  uint8_t u = source == camera::face ? 160 : 100;
  uint8_t v = source == camera::face ? 110 : 140;
  for (unsigned y = 0; y < (img->d_h + 1) / 2; ++y) {
    auto* ur = img->planes[VPX_PLANE_U] + y * static_cast<unsigned>(img->stride[VPX_PLANE_U]);
    auto* vr = img->planes[VPX_PLANE_V] + y * static_cast<unsigned>(img->stride[VPX_PLANE_V]);
    for (unsigned x = 0; x < (img->d_w + 1) / 2; ++x) {
      ur[x] = u;
      vr[x] = v;
    }
  }
}

} // namespace

protocol::result<std::shared_ptr<const media_clip>> make_video_clip(const video_clip_params& p) {
  if (p.frames < 1 || p.frames > 255 || p.width < stamp_width || p.height < stamp_height
      || p.fps < 1 || p.fps > 120)
    return protocol::error{errc::bad_request, "video clip parameters out of range"};
  vp8_encoder chain, keys;
  if (!chain.open(p) || !keys.open(p))
    return protocol::error{errc::internal, "libvpx refused the VP8 encoder settings"};
  auto img = vpx_img_alloc(nullptr, VPX_IMG_FMT_I420, static_cast<unsigned>(p.width),
                           static_cast<unsigned>(p.height), 16);
  if (!img)
    return protocol::error{errc::internal, "out of memory for a picture"};
  auto clip = std::make_shared<media_clip>();
  clip->kind = clip_kind::video;
  clip->clock_rate = 90000;
  clip->frame_ticks = static_cast<uint32_t>(90000 / p.fps);
  clip->frame_interval_ms = 1000 / p.fps;
  clip->width = p.width;
  clip->height = p.height;
  for (int i = 0; i < p.frames; ++i) {
    paint(img, i, p.source);
    draw_stamp(img->planes[VPX_PLANE_Y], img->stride[VPX_PLANE_Y],
               frame_stamp{static_cast<uint16_t>(i), static_cast<uint8_t>(p.frames),
                           static_cast<uint8_t>(p.source)});
    clip_frame f;
    f.data = chain.encode(img, i, i == 0);
    f.key = keys.encode(img, i, true);
    if (f.data.empty() || f.key.empty()) {
      vpx_img_free(img);
      return protocol::error{errc::internal, "libvpx produced no frame " + std::to_string(i)};
    }
    clip->frames.push_back(std::move(f));
  }
  vpx_img_free(img);
  return std::shared_ptr<const media_clip>(std::move(clip));
}

protocol::result<std::shared_ptr<const media_clip>> make_audio_clip(int frames) {
  if (frames < 1 || frames > 3000)
    return protocol::error{errc::bad_request, "audio clip length out of range"};
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  if (!enc || err != OPUS_OK)
    return protocol::error{errc::internal, "libopus refused the encoder"};
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
  auto clip = std::make_shared<media_clip>();
  clip->kind = clip_kind::audio;
  clip->clock_rate = 48000;
  clip->frame_ticks = 960;
  clip->frame_interval_ms = 20;
  std::vector<opus_int16> pcm(960);
  std::vector<unsigned char> out(1500);
  for (int i = 0; i < frames; ++i) {
    for (std::size_t k = 0; k < pcm.size(); ++k) {
      double t = static_cast<double>(static_cast<std::size_t>(i) * pcm.size() + k) / 48000.0;
      pcm[k] = static_cast<opus_int16>(8000.0 * std::sin(2.0 * M_PI * 440.0 * t));
    }
    int n = opus_encode(enc, pcm.data(), static_cast<int>(pcm.size()), out.data(),
                        static_cast<opus_int32>(out.size()));
    if (n <= 0) {
      opus_encoder_destroy(enc);
      return protocol::error{errc::internal, "libopus failed to encode"};
    }
    clip->frames.push_back({std::vector<uint8_t>(out.begin(), out.begin() + n), {}});
  }
  opus_encoder_destroy(enc);
  return std::shared_ptr<const media_clip>(std::move(clip));
}

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace lamplight::media::lamp
