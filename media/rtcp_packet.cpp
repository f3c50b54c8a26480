#include "media/rtcp_packet.hpp"

#include "transport/byte_order.hpp"

#include <algorithm>

#include "media/rtp_packet.hpp"

namespace lamplight::media {

namespace {

using transport::get16;
using transport::get32;
using transport::put16;
using transport::put32;

constexpr uint8_t pt_sr = 200, pt_rr = 201, pt_rtpfb = 205, pt_psfb = 206;

/// Header with a placeholder length; returns where it starts.
std::size_t begin_packet(std::vector<uint8_t>& out, uint8_t count, uint8_t pt) {
  auto at = out.size();
  out.push_back(static_cast<uint8_t>(0x80 | (count & 0x1F)));
  out.push_back(pt);
  put16(out, 0);
  return at;
}

void end_packet(std::vector<uint8_t>& out, std::size_t at) {
  auto words = (out.size() - at) / 4 - 1;
  out[at + 2] = static_cast<uint8_t>(words >> 8);
  out[at + 3] = static_cast<uint8_t>(words);
}

bool read_blocks(const uint8_t* p, std::size_t len, std::size_t count,
                 std::vector<report_block>& out) {
  if (len < count * 24)
    return false;
  for (std::size_t i = 0; i < count; ++i, p += 24) {
    report_block b;
    b.ssrc = get32(p);
    b.fraction_lost = p[4];
    auto lost = uint32_t(p[5]) << 16 | uint32_t(p[6]) << 8 | p[7];
    b.cumulative_lost =
        (lost & 0x800000) ? static_cast<int32_t>(lost | 0xFF000000u) : static_cast<int32_t>(lost);
    b.highest_seq = get32(p + 8);
    b.jitter = get32(p + 12);
    b.last_sr = get32(p + 16);
    b.delay_since_last_sr = get32(p + 20);
    out.push_back(b);
  }
  return true;
}

void write_blocks(std::vector<uint8_t>& out, const std::vector<report_block>& blocks) {
  for (const auto& b : blocks) {
    put32(out, b.ssrc);
    out.push_back(b.fraction_lost);
    auto lost = static_cast<uint32_t>(std::clamp(b.cumulative_lost, -0x800000, 0x7FFFFF));
    out.push_back(static_cast<uint8_t>(lost >> 16));
    out.push_back(static_cast<uint8_t>(lost >> 8));
    out.push_back(static_cast<uint8_t>(lost));
    put32(out, b.highest_seq);
    put32(out, b.jitter);
    put32(out, b.last_sr);
    put32(out, b.delay_since_last_sr);
  }
}

} // namespace

bool operator==(const report_block& a, const report_block& b) {
  return a.ssrc == b.ssrc && a.fraction_lost == b.fraction_lost &&
         a.cumulative_lost == b.cumulative_lost && a.highest_seq == b.highest_seq &&
         a.jitter == b.jitter && a.last_sr == b.last_sr &&
         a.delay_since_last_sr == b.delay_since_last_sr;
}

std::optional<std::vector<rtcp_message>> parse_rtcp(const uint8_t* data, std::size_t size) {
  std::vector<rtcp_message> out;
  std::size_t pos = 0;
  while (pos < size) {
    if (size - pos < 4)
      return std::nullopt;
    const uint8_t* h = data + pos;
    if ((h[0] >> 6) != 2)
      return std::nullopt;
    uint8_t count = h[0] & 0x1F;
    uint8_t pt = h[1];
    std::size_t len = 4 * (static_cast<std::size_t>(get16(h + 2)) + 1);
    if (len > size - pos)
      return std::nullopt;
    std::size_t body_len = len - 4;
    if (h[0] & 0x20) { // padding, only allowed on the last packet
      if (pos + len != size || h[len - 1] == 0 || h[len - 1] > body_len)
        return std::nullopt;
      body_len -= h[len - 1];
    }
    const uint8_t* b = h + 4;
    switch (pt) {
    case pt_sr: {
      if (body_len < 24)
        return std::nullopt;
      sender_report sr;
      sr.ssrc = get32(b);
      sr.ntp_time = uint64_t(get32(b + 4)) << 32 | get32(b + 8);
      sr.rtp_time = get32(b + 12);
      sr.packet_count = get32(b + 16);
      sr.octet_count = get32(b + 20);
      if (!read_blocks(b + 24, body_len - 24, count, sr.reports))
        return std::nullopt;
      out.emplace_back(std::move(sr));
      break;
    }
    case pt_rr: {
      if (body_len < 4)
        return std::nullopt;
      receiver_report rr;
      rr.ssrc = get32(b);
      if (!read_blocks(b + 4, body_len - 4, count, rr.reports))
        return std::nullopt;
      out.emplace_back(std::move(rr));
      break;
    }
    case pt_rtpfb:
    case pt_psfb: {
      if (body_len < 8)
        return std::nullopt;
      uint32_t sender = get32(b), media = get32(b + 4);
      const uint8_t* fci = b + 8;
      std::size_t fci_len = body_len - 8;
      if (pt == pt_rtpfb && count == 1) {
        if (fci_len % 4 != 0)
          return std::nullopt;
        nack n{sender, media, {}};
        for (std::size_t i = 0; i < fci_len; i += 4) {
          uint16_t pid = get16(fci + i);
          uint16_t blp = get16(fci + i + 2);
          n.lost.push_back(pid);
          for (int bit = 0; bit < 16; ++bit)
            if (blp & (1 << bit))
              n.lost.push_back(static_cast<uint16_t>(pid + bit + 1));
        }
        out.emplace_back(std::move(n));
      } else if (pt == pt_psfb && count == 1) {
        out.emplace_back(pli{sender, media});
      } else if (pt == pt_psfb && count == 4) {
        if (fci_len % 8 != 0)
          return std::nullopt;
        fir f{sender, {}};
        for (std::size_t i = 0; i < fci_len; i += 8)
          f.entries.push_back({get32(fci + i), fci[i + 4]});
        out.emplace_back(std::move(f));
      } else if (pt == pt_psfb && count == 15 && fci_len >= 8 && fci[0] == 'R' && fci[1] == 'E' &&
                 fci[2] == 'M' && fci[3] == 'B') {
        std::size_t n_ssrc = fci[4];
        if (fci_len < 8 + 4 * n_ssrc)
          return std::nullopt;
        remb r{sender, 0, {}};
        uint8_t exp = fci[5] >> 2;
        uint32_t mantissa = uint32_t(fci[5] & 0x03) << 16 | uint32_t(fci[6]) << 8 | fci[7];
        // 18-bit mantissa, 6-bit exponent: saturate rather than overflow.
        r.bitrate_bps = exp > 46 ? UINT64_MAX : uint64_t(mantissa) << exp;
        for (std::size_t i = 0; i < n_ssrc; ++i)
          r.ssrcs.push_back(get32(fci + 8 + 4 * i));
        out.emplace_back(std::move(r));
      } else {
        out.emplace_back(other_rtcp{pt, count});
      }
      break;
    }
    default:
      out.emplace_back(other_rtcp{pt, count});
      break;
    }
    pos += len;
  }
  if (out.empty())
    return std::nullopt;
  return out;
}

void write_rtcp(std::vector<uint8_t>& out, const sender_report& x) {
  auto at =
      begin_packet(out, static_cast<uint8_t>(std::min<std::size_t>(x.reports.size(), 31)), pt_sr);
  put32(out, x.ssrc);
  put32(out, static_cast<uint32_t>(x.ntp_time >> 32));
  put32(out, static_cast<uint32_t>(x.ntp_time));
  put32(out, x.rtp_time);
  put32(out, x.packet_count);
  put32(out, x.octet_count);
  write_blocks(out,
               std::vector<report_block>(x.reports.begin(),
                                         x.reports.begin() + std::min<long>(31, x.reports.size())));
  end_packet(out, at);
}

void write_rtcp(std::vector<uint8_t>& out, const receiver_report& x) {
  auto at =
      begin_packet(out, static_cast<uint8_t>(std::min<std::size_t>(x.reports.size(), 31)), pt_rr);
  put32(out, x.ssrc);
  write_blocks(out,
               std::vector<report_block>(x.reports.begin(),
                                         x.reports.begin() + std::min<long>(31, x.reports.size())));
  end_packet(out, at);
}

void write_rtcp(std::vector<uint8_t>& out, const nack& x) {
  auto at = begin_packet(out, 1, pt_rtpfb);
  put32(out, x.sender_ssrc);
  put32(out, x.media_ssrc);
  // Pack sorted, de-duplicated losses into PID + 16-bit BLP pairs.
  // Order by distance from the first loss, so a wrap past 65535 stays in order.
  auto lost = x.lost;
  uint16_t base = lost.empty() ? 0 : lost.front();
  std::sort(lost.begin(), lost.end(), [base](uint16_t a, uint16_t b) {
    return static_cast<uint16_t>(a - base) < static_cast<uint16_t>(b - base);
  });
  lost.erase(std::unique(lost.begin(), lost.end()), lost.end());
  std::size_t i = 0;
  while (i < lost.size()) {
    uint16_t pid = lost[i++];
    uint16_t blp = 0;
    while (i < lost.size()) {
      auto d = static_cast<uint16_t>(lost[i] - pid);
      if (d == 0 || d > 16)
        break;
      blp = static_cast<uint16_t>(blp | (1u << (d - 1)));
      ++i;
    }
    put16(out, pid);
    put16(out, blp);
  }
  end_packet(out, at);
}

void write_rtcp(std::vector<uint8_t>& out, const pli& x) {
  auto at = begin_packet(out, 1, pt_psfb);
  put32(out, x.sender_ssrc);
  put32(out, x.media_ssrc);
  end_packet(out, at);
}

void write_rtcp(std::vector<uint8_t>& out, const fir& x) {
  auto at = begin_packet(out, 4, pt_psfb);
  put32(out, x.sender_ssrc);
  put32(out, 0); // media source: unused for FIR (RFC 5104 section 4.3.1.2)
  for (const auto& e : x.entries) {
    put32(out, e.ssrc);
    out.push_back(e.seq);
    out.push_back(0);
    put16(out, 0);
  }
  end_packet(out, at);
}

void write_rtcp(std::vector<uint8_t>& out, const remb& x) {
  auto at = begin_packet(out, 15, pt_psfb);
  put32(out, x.sender_ssrc);
  put32(out, 0);
  out.insert(out.end(), {'R', 'E', 'M', 'B'});
  out.push_back(static_cast<uint8_t>(std::min<std::size_t>(x.ssrcs.size(), 255)));
  uint8_t exp = 0;
  uint64_t mantissa = x.bitrate_bps;
  while (mantissa > 0x3FFFF && exp < 63) {
    mantissa >>= 1;
    ++exp;
  }
  out.push_back(static_cast<uint8_t>(exp << 2 | ((mantissa >> 16) & 0x03)));
  out.push_back(static_cast<uint8_t>(mantissa >> 8));
  out.push_back(static_cast<uint8_t>(mantissa));
  for (std::size_t i = 0; i < std::min<std::size_t>(x.ssrcs.size(), 255); ++i)
    put32(out, x.ssrcs[i]);
  end_packet(out, at);
}

uint64_t ntp_time(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  constexpr int64_t unix_to_ntp = 2208988800LL;  // 1900 to 1970, in seconds
  return (static_cast<uint64_t>(us / 1000000 + unix_to_ntp) << 32)
         | static_cast<uint64_t>((us % 1000000) * 4294967296LL / 1000000);
}

} // namespace lamplight::media
