#include "bench/lamps/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace lamplight::bench {

double distribution::percentile(double p) const {
  if (values.empty())
    return 0;
  auto v = values;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double distribution::max() const {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

namespace {

std::string fmt(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

std::string json_dist(const distribution& d) {
  return "{\"count\":" + std::to_string(d.values.size()) + ",\"p50\":" + fmt(d.percentile(50), 2)
         + ",\"p95\":" + fmt(d.percentile(95), 2) + ",\"p99\":" + fmt(d.percentile(99), 2)
         + ",\"max\":" + fmt(d.max(), 2) + "}";
}

std::string row(const std::string& name, const distribution& d) {
  return "  " + name + std::string(22 - std::min<std::size_t>(21, name.size()), ' ')
         + "p50 " + fmt(d.percentile(50)) + "  p95 " + fmt(d.percentile(95)) + "  p99 "
         + fmt(d.percentile(99)) + "  max " + fmt(d.max()) + " ms  (" +
         std::to_string(d.values.size()) + ")\n";
}

/// A cumulative distribution as an SVG polyline (x: ms, y: share of samples).
std::string svg_cdf(const std::string& title, const distribution& d) {
  const int w = 460, h = 240, pad = 40;
  auto v = d.values;
  std::sort(v.begin(), v.end());
  double xmax = v.empty() ? 1 : std::max(1.0, v.back());
  std::ostringstream s;
  s << "<figure><figcaption>" << title << "</figcaption><svg width='" << w << "' height='" << h
    << "' role='img' aria-label='" << title << "'>";
  s << "<rect x='" << pad << "' y='10' width='" << w - pad - 10 << "' height='" << h - pad - 10
    << "' fill='#fafafa' stroke='#ccc'/>";
  s << "<polyline fill='none' stroke='#1f6feb' stroke-width='2' points='";
  for (std::size_t i = 0; i < v.size(); ++i) {
    double x = pad + (v[i] / xmax) * (w - pad - 10);
    double y = h - pad - (static_cast<double>(i + 1) / v.size()) * (h - pad - 10);
    s << fmt(x) << "," << fmt(y) << " ";
  }
  s << "'/>";
  for (double q : {0.5, 0.95, 0.99}) {
    double y = h - pad - q * (h - pad - 10);
    s << "<line x1='" << pad << "' x2='" << w - 10 << "' y1='" << fmt(y) << "' y2='" << fmt(y)
      << "' stroke='#ddd' stroke-dasharray='3'/><text x='2' y='" << fmt(y + 4)
      << "' font-size='11'>p" << static_cast<int>(q * 100) << "</text>";
  }
  s << "<text x='" << pad << "' y='" << h - 12 << "' font-size='11'>0</text><text x='" << w - 60
    << "' y='" << h - 12 << "' font-size='11'>" << fmt(xmax, 0) << " ms</text>";
  s << "</svg></figure>";
  return s.str();
}

/// A time series as an SVG polyline.
std::string svg_series(const std::string& title, const std::vector<timeline_point>& t,
                       double timeline_point::*field, const std::string& unit) {
  const int w = 460, h = 240, pad = 40;
  double tmax = t.empty() ? 1 : std::max(1.0, t.back().t_s);
  double ymax = 1;
  for (const auto& p : t)
    ymax = std::max(ymax, p.*field);
  std::ostringstream s;
  s << "<figure><figcaption>" << title << "</figcaption><svg width='" << w << "' height='" << h
    << "' role='img' aria-label='" << title << "'>";
  s << "<rect x='" << pad << "' y='10' width='" << w - pad - 10 << "' height='" << h - pad - 10
    << "' fill='#fafafa' stroke='#ccc'/>";
  s << "<polyline fill='none' stroke='#d1242f' stroke-width='2' points='";
  for (const auto& p : t)
    s << fmt(pad + p.t_s / tmax * (w - pad - 10)) << ","
      << fmt(h - pad - (p.*field) / ymax * (h - pad - 10)) << " ";
  s << "'/><text x='2' y='20' font-size='11'>" << fmt(ymax, 0) << "</text><text x='" << pad
    << "' y='" << h - 12 << "' font-size='11'>0 s</text><text x='" << w - 50 << "' y='" << h - 12
    << "' font-size='11'>" << fmt(tmax, 0) << " s</text><text x='" << pad + 4
    << "' y='26' font-size='11'>" << unit << "</text></svg></figure>";
  return s.str();
}

} // namespace

void print_summary(const run_result& r) {
  std::string out = "\nlamplight-bench lamps " + r.scenario + " on " + r.provider + " against "
                    + r.node + ": "
                    + std::to_string(r.lamps) + " lamps, " + std::to_string(r.legs_watched)
                    + " streams watched, " + fmt(r.media_seconds) + " s of media\n";
  out += row("join", r.join_ms);
  out += row("first frame", r.first_frame_ms);
  out += row("signaling rtt", r.rtt_ms);
  if (!r.call_setup_ms.values.empty())
    out += row("call setup", r.call_setup_ms);
  out += row("packet latency", r.packet_latency_ms);
  out += "  video frames          " + std::to_string(r.video_frames_decoded) + " decoded of "
         + std::to_string(r.video_frames_sent) + " sent to watchers, "
         + std::to_string(r.video_gaps) + " missing or out of order\n";
  out += "  audio frames          " + std::to_string(r.audio_frames_decoded) + " decoded, "
         + std::to_string(r.audio_lost) + " lost\n";
  out += "  media provider        " + fmt(r.forwarded_pps, 0) + " forwarded pkts/s, "
         + fmt(r.cpu_s_per_1000_forwarded, 4) + " CPU s per 1000 forwarded, "
         + fmt(r.rss_bytes_per_participant / 1024.0, 0) + " KiB RSS per participant\n";
  for (const auto& n : r.nodes)
    out += "  node " + n.name + std::string(n.name.size() < 16 ? 16 - n.name.size() : 0, ' ')
           + fmt(n.rtp_in_pps, 0) + " RTP pkts/s in (" + fmt(n.pipe_in_pps, 0)
           + " from pipes), " + fmt(n.rtp_forwarded_pps, 0) + " out (" + fmt(n.pipe_out_pps, 0)
           + " into pipes), " + fmt(n.cpu_percent, 1) + " % CPU\n";
  if (!r.failures.empty()) {
    out += "  FAILED: " + std::to_string(r.failures.size()) + " lamps without media:\n";
    for (std::size_t i = 0; i < r.failures.size() && i < 20; ++i)
      out += "    " + r.failures[i] + "\n";
  }
  std::fputs(out.c_str(), stdout);
}

void write_json(const run_result& r, const std::filesystem::path& file) {
  std::ofstream o(file);
  o << "{\"scenario\":\"" << escape(r.scenario) << "\",\"provider\":\"" << escape(r.provider)
    << "\",\"node\":\"" << escape(r.node)
    << "\",\"lamps\":" << r.lamps << ",\"streamsWatched\":" << r.legs_watched
    << ",\"mediaSeconds\":" << fmt(r.media_seconds, 2) << ",\"joinMs\":" << json_dist(r.join_ms)
    << ",\"firstFrameMs\":" << json_dist(r.first_frame_ms) << ",\"rttMs\":" << json_dist(r.rtt_ms) << ",\"callSetupMs\":" << json_dist(r.call_setup_ms)
    << ",\"packetLatencyMs\":" << json_dist(r.packet_latency_ms)
    << ",\"videoFramesSent\":" << r.video_frames_sent
    << ",\"videoFramesDecoded\":" << r.video_frames_decoded << ",\"videoGaps\":" << r.video_gaps
    << ",\"audioFramesDecoded\":" << r.audio_frames_decoded << ",\"audioLost\":" << r.audio_lost
    << ",\"forwardedPps\":" << fmt(r.forwarded_pps, 1)
    << ",\"cpuSecondsPer1000Forwarded\":" << fmt(r.cpu_s_per_1000_forwarded, 5)
    << ",\"rssBytesPerParticipant\":" << fmt(r.rss_bytes_per_participant, 0) << ",\"timeline\":[";
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const auto& p = r.timeline[i];
    o << (i ? "," : "") << "{\"t\":" << fmt(p.t_s, 2) << ",\"cpuPercent\":" << fmt(p.cpu_percent)
      << ",\"forwardedPps\":" << fmt(p.forwarded_pps, 0) << ",\"rssMb\":" << fmt(p.rss_mb)
      << ",\"decoding\":" << p.decoding << "}";
  }
  o << "],\"nodes\":[";
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    const auto& n = r.nodes[i];
    o << (i ? "," : "") << "{\"name\":\"" << escape(n.name) << "\",\"rtpInPps\":"
      << fmt(n.rtp_in_pps, 1) << ",\"rtpForwardedPps\":" << fmt(n.rtp_forwarded_pps, 1)
      << ",\"pipeInPps\":" << fmt(n.pipe_in_pps, 1) << ",\"pipeOutPps\":" << fmt(n.pipe_out_pps, 1)
      << ",\"cpuPercent\":" << fmt(n.cpu_percent, 1) << "}";
  }
  o << "],\"failures\":[";
  for (std::size_t i = 0; i < r.failures.size(); ++i)
    o << (i ? "," : "") << "\"" << escape(r.failures[i]) << "\"";
  o << "]}\n";
}

void write_html(const run_result& r, const std::filesystem::path& file) {
  std::ofstream o(file);
  auto tr = [&](const std::string& k, const std::string& v) {
    o << "<tr><th scope='row'>" << k << "</th><td>" << v << "</td></tr>";
  };
  o << "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>lamplight-bench "
    << r.scenario << "</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
       "table{border-collapse:collapse}th,td{padding:4px 10px;border-bottom:1px solid #eee;"
       "text-align:left}figure{display:inline-block;margin:1em}figcaption{font-weight:600}"
       ".bad{color:#b00}</style></head><body>";
  o << "<h1>lamplight-bench: " << r.scenario << " on " << r.provider << "</h1><p>" << r.lamps
    << " lamps against "
    << r.node << ", " << r.legs_watched << " streams watched, " << fmt(r.media_seconds)
    << " s of media.</p>";
  if (!r.failures.empty())
    o << "<p class='bad'><strong>" << r.failures.size()
      << " lamps never got media.</strong></p>";
  o << "<table>";
  auto d = [&](const distribution& x) {
    return "p50 " + fmt(x.percentile(50)) + " · p95 " + fmt(x.percentile(95)) + " · p99 "
           + fmt(x.percentile(99)) + " · max " + fmt(x.max()) + " ms";
  };
  tr("join", d(r.join_ms));
  tr("join to first decoded frame", d(r.first_frame_ms));
  tr("signaling round trip", d(r.rtt_ms));
  if (!r.call_setup_ms.values.empty())
    tr("call setup (invite to connected)", d(r.call_setup_ms));
  tr("packet latency (publisher send to subscriber arrival)", d(r.packet_latency_ms));
  tr("video frames", std::to_string(r.video_frames_decoded) + " decoded of "
                       + std::to_string(r.video_frames_sent) + " sent; "
                       + std::to_string(r.video_gaps) + " missing or out of order");
  tr("audio frames", std::to_string(r.audio_frames_decoded) + " decoded; "
                       + std::to_string(r.audio_lost) + " lost");
  tr("forwarded packets/s", fmt(r.forwarded_pps, 0));
  tr("provider CPU s per 1000 forwarded packets", fmt(r.cpu_s_per_1000_forwarded, 4));
  tr("provider RSS per participant", fmt(r.rss_bytes_per_participant / 1024.0, 0) + " KiB");
  o << "</table>";
  o << svg_cdf("join latency (cumulative)", r.join_ms)
    << svg_cdf("join to first frame (cumulative)", r.first_frame_ms)
    << svg_cdf("signaling round trip (cumulative)", r.rtt_ms)
    << svg_cdf("packet latency, send to arrival (cumulative)", r.packet_latency_ms)
    << svg_series("provider CPU (% of one core)", r.timeline, &timeline_point::cpu_percent, "%")
    << svg_series("forwarded packets per second", r.timeline, &timeline_point::forwarded_pps,
                  "pkts/s")
    << svg_series("provider resident memory", r.timeline, &timeline_point::rss_mb, "MiB");
  o << "</body></html>\n";
}

namespace {

/// One compared quantity: its value on each provider and other/base.
struct compared {
  std::string name;
  double base = 0, other = 0;
  int digits = 1;
  std::string unit;
  double ratio() const { return base > 0 ? other / base : 0; }
};

std::vector<compared> comparison(const run_result& b, const run_result& o) {
  return {
    {"CPU s per 1000 forwarded packets", b.cpu_s_per_1000_forwarded, o.cpu_s_per_1000_forwarded, 4, ""},
    {"forwarded packets/s", b.forwarded_pps, o.forwarded_pps, 0, ""},
    {"join p50", b.join_ms.percentile(50), o.join_ms.percentile(50), 1, " ms"},
    {"join p99", b.join_ms.percentile(99), o.join_ms.percentile(99), 1, " ms"},
    {"first frame p50", b.first_frame_ms.percentile(50), o.first_frame_ms.percentile(50), 1, " ms"},
    {"first frame p99", b.first_frame_ms.percentile(99), o.first_frame_ms.percentile(99), 1, " ms"},
    {"packet latency p50", b.packet_latency_ms.percentile(50), o.packet_latency_ms.percentile(50), 2, " ms"},
    {"packet latency p99", b.packet_latency_ms.percentile(99), o.packet_latency_ms.percentile(99), 2, " ms"},
    {"RSS per participant", b.rss_bytes_per_participant / 1024.0,
     o.rss_bytes_per_participant / 1024.0, 0, " KiB"},
    {"video frames missing", static_cast<double>(b.video_gaps), static_cast<double>(o.video_gaps), 0, ""},
  };
}

} // namespace

void print_comparison(const run_result& b, const run_result& o) {
  std::string out = "\nside by side, " + b.scenario + " with " + std::to_string(b.lamps)
                    + " lamps (ratio: " + o.provider + " / " + b.provider + ")\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-34s %12s %12s %8s\n", "", b.provider.c_str(),
                o.provider.c_str(), "ratio");
  out += line;
  for (const auto& c : comparison(b, o)) {
    std::snprintf(line, sizeof line, "  %-34s %12s %12s %8s\n", c.name.c_str(),
                  (fmt(c.base, c.digits) + c.unit).c_str(), (fmt(c.other, c.digits) + c.unit).c_str(),
                  c.base > 0 ? fmt(c.ratio(), 2).c_str() : "-");
    out += line;
  }
  std::fputs(out.c_str(), stdout);
}

void write_comparison_json(const run_result& b, const run_result& o,
                           const std::filesystem::path& file) {
  std::ofstream f(file);
  f << "{\"scenario\":\"" << escape(b.scenario) << "\",\"lamps\":" << b.lamps << ",\"base\":\""
    << escape(b.provider) << "\",\"other\":\"" << escape(o.provider) << "\",\"rows\":[";
  bool first = true;
  for (const auto& c : comparison(b, o)) {
    f << (first ? "" : ",") << "{\"name\":\"" << escape(c.name) << "\",\"base\":"
      << fmt(c.base, c.digits + 2) << ",\"other\":" << fmt(c.other, c.digits + 2)
      << ",\"ratio\":" << fmt(c.ratio(), 3) << "}";
    first = false;
  }
  f << "]}\n";
}

void write_comparison_html(const run_result& b, const run_result& o,
                           const std::filesystem::path& file) {
  std::ofstream f(file);
  f << "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>lamplight-bench "
    << b.scenario << ": " << b.provider << " and " << o.provider
    << "</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
       "table{border-collapse:collapse}th,td{padding:4px 10px;border-bottom:1px solid #eee;"
       "text-align:right}th:first-child{text-align:left}figure{display:inline-block;margin:1em}"
       "figcaption{font-weight:600}</style></head><body><h1>"
    << b.scenario << ", " << b.lamps << " lamps: " << b.provider << " and " << o.provider
    << " side by side</h1><table><tr><th scope='col'></th><th scope='col'>" << b.provider
    << "</th><th scope='col'>" << o.provider << "</th><th scope='col'>ratio (" << o.provider << " / "
    << b.provider << ")</th></tr>";
  for (const auto& c : comparison(b, o))
    f << "<tr><th scope='row'>" << c.name << "</th><td>" << fmt(c.base, c.digits) << c.unit
      << "</td><td>" << fmt(c.other, c.digits) << c.unit << "</td><td>"
      << (c.base > 0 ? fmt(c.ratio(), 2) : "-") << "</td></tr>";
  f << "</table>";
  for (const auto* r : {&b, &o})
    f << svg_cdf(r->provider + ": join to first frame (cumulative)", r->first_frame_ms)
      << svg_series(r->provider + ": provider CPU (% of one core)", r->timeline,
                    &timeline_point::cpu_percent, "%");
  f << "</body></html>\n";
}

} // namespace lamplight::bench
