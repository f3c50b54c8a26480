#include "bench/lamps/lamps.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <filesystem>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <boost/program_options.hpp>

#include "bench/lamps/node_probe.hpp"
#include "bench/options.hpp"
#include "bench/lamps/report.hpp"
#include "bench/lamps/scenario.hpp"
#include "media/lamp/lamp_device.hpp"
#include "tests/support/janus_process.hpp"

namespace lamplight::bench {

namespace po = boost::program_options;
namespace sig = signal::v1;
using namespace std::chrono_literals;
using media::lamp::lamp_client;
using media::lamp::lamp_device;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct options {
  std::string scenario = "class";
  int n = 200;
  std::string node;  // host:port; empty: start one
  std::string node_bin;
  int media_workers = 0;
  int seconds = 15;
  int setup_timeout = 90;
  int fps = 15;
  int parallel = 16;
  bool libnice = false;
  std::string provider = "sfu";  // sfu | janus | both (side by side)
  std::string janus_bin = "janus";
  int media_nodes = 0;  // >0: a cluster (room node + this many gateway+media nodes)
  std::string json, html;
};

/// Tracks published so far, by (owner, source), with when.
struct registry {
  std::mutex mtx;
  std::condition_variable changed;
  std::map<std::pair<std::string, int>, std::pair<sig::TrackInfo, double>> tracks;

  void add(const std::string& owner, sig::TrackSource src, const std::string& id, double at) {
    sig::TrackInfo t;
    t.set_track_id(id);
    t.set_owner(owner);
    t.set_source(src);
    t.set_kind(src == sig::TRACK_SOURCE_MICROPHONE ? sig::TRACK_KIND_AUDIO : sig::TRACK_KIND_VIDEO);
    {
      std::lock_guard<std::mutex> g(mtx);
      tracks[{owner, src}] = {t, at};
    }
    changed.notify_all();
  }
  std::optional<std::pair<sig::TrackInfo, double>> wait(const std::string& owner,
                                                        sig::TrackSource src,
                                                        clock_type::time_point deadline) {
    std::unique_lock<std::mutex> lock(mtx);
    auto found = [&] { return tracks.count({owner, src}) > 0; };
    if (!changed.wait_until(lock, deadline, found))
      return std::nullopt;
    return tracks[{owner, src}];
  }
};

/// One lamp of the run. Its own thread drives it (join, publish, watch,
/// then answer the node); the monitor reads its reports.
struct lamp_run {
  const lamp_plan* plan = nullptr;
  std::size_t index = 0;  // in the scenario: which gateway it connects to
  std::mutex mtx;  // guards `client` (swapped on churn) and the fields below
  std::unique_ptr<lamp_client> client;
  std::map<std::string, double> watch_since;  // track id -> when it could first be watched
  std::map<std::string, bool> decoding;       // track id -> first frame seen
  std::vector<double> join_ms, first_frame_ms, rtt_ms, call_ms;
  std::string error;
  std::atomic<bool> ready{false};
  std::atomic<bool> joined{false};
  bool announced = false;  // a teacher that let its students in
  std::thread thread;
};

struct run_state {
  options opt;
  scenario sc;
  node_probe* node = nullptr;
  std::string provider = "sfu";
  /// Where lamps put their ICE candidates: loopback, or the veth side that
  /// a Janus in its own network namespace reaches.
  std::string media_ip = "127.0.0.1";
  std::shared_ptr<const media::lamp::lamp_media> media;
  registry tracks;
  std::vector<std::unique_ptr<lamp_run>> lamps;
  clock_type::time_point t0 = clock_type::now();
  std::atomic<bool> stop{false};
  std::atomic<bool> media_phase{false};
  clock_type::time_point setup_deadline;
  // At most `parallel` lamps negotiate media at once: on a 2-core machine
  // that also runs the node, 600 handshakes at once would starve both.
  std::mutex setup_mtx;
  std::condition_variable setup_cv;
  int setting_up = 0;
  std::mutex teachers_mtx;
  std::condition_variable teachers_cv;
  int teachers_ready = 0;
  int teachers = 0;
};

std::string lamp_name(const lamp_run& l) { return l.plan->classroom + "/" + l.plan->identity; }

/// A teacher opened its classroom and publishes: its students may come.
void teacher_up(run_state& rs) {
  std::lock_guard<std::mutex> g(rs.teachers_mtx);
  ++rs.teachers_ready;
  rs.teachers_cv.notify_all();
}

/// Join, publish, watch: what a lamp does when it is switched on.
bool bring_up(run_state& rs, lamp_run& l) {
  const auto& p = *l.plan;
  media::lamp::lamp_options o;
  o.host = rs.node->host();
  o.port = rs.node->gateway_port(l.index);
  o.data_channels = false;
  o.timeout = std::chrono::seconds(20);
  // Janus is a full ICE agent and checks the lamp's side too: only libnice
  // answers that.
  o.ice = rs.opt.libnice || rs.provider == "janus" ? transport::rtc_peer::ice_mode::libnice
                                                   : transport::rtc_peer::ice_mode::lite_check;
  o.media_ip = rs.media_ip;
  auto token = rs.node->token("bench", p.classroom, p.identity, p.teacher ? "teacher" : "student",
                              p.teacher ? p.mode : "");
  if (!token) {
    l.error = "no dev token (the node must allow them)";
    return false;
  }
  auto client = std::make_unique<lamp_client>(rs.media, o);
  auto start = seconds_since(rs.t0);
  auto joined = client->join(*token);
  if (!joined) {
    l.error = "join: " + joined.err().message;
    return false;
  }
  {
    std::lock_guard<std::mutex> g(l.mtx);
    l.join_ms.push_back((seconds_since(rs.t0) - start) * 1000);
    l.client = std::move(client);
    l.decoding.clear();
    l.watch_since.clear();
  }
  l.joined = true;
  struct slot {
    run_state& rs;
    explicit slot(run_state& r) : rs(r) {
      std::unique_lock<std::mutex> lock(rs.setup_mtx);
      rs.setup_cv.wait(lock, [&] { return rs.setting_up < rs.opt.parallel; });
      ++rs.setting_up;
    }
    ~slot() {
      std::lock_guard<std::mutex> g(rs.setup_mtx);
      --rs.setting_up;
      rs.setup_cv.notify_one();
    }
  };
  auto negotiating = std::make_optional<slot>(rs);
  for (auto src : p.publish) {
    auto id = l.client->publish(src);
    if (!id) {
      l.error = "publish " + sig::TrackSource_Name(src) + ": " + id.err().message;
      return false;
    }
    rs.tracks.add(p.identity, src, *id, seconds_since(rs.t0));
  }
  if (p.teacher && !l.announced) {
    l.announced = true;
    teacher_up(rs);
  }
  // Waiting for others' tracks holds no slot: they may need one to publish.
  negotiating.reset();
  for (const auto& [owner, src] : p.watch) {
    auto t = rs.tracks.wait(owner, src, rs.setup_deadline);
    if (!t) {
      l.error = "never saw " + owner + "'s " + sig::TrackSource_Name(src);
      return false;
    }
    slot watching(rs);
    {
      std::lock_guard<std::mutex> g(l.mtx);
      l.watch_since[t->first.track_id()] = std::max(start, t->second);
    }
    if (auto r = l.client->subscribe(t->first); !r) {
      l.error = "subscribe " + t->first.track_id() + ": " + r.err().message;
      return false;
    }
  }
  return true;
}

/// The teacher's part of the class: accept raised hands in order, and call
/// the students the scenario names (invite -> connected, timed).
void teach(run_state& rs, lamp_run& l, clock_type::time_point& last_hands, bool& calls_done) {
  auto& c = *l.client;
  if (clock_type::now() - last_hands >= 1s) {
    last_hands = clock_type::now();
    sig::ClientMessage snap;
    snap.mutable_get_snapshot();
    if (auto s = c.request(std::move(snap)); s && s->has_snapshot())
      for (const auto& who : s->snapshot().hand_queue()) {
        sig::ClientMessage m;
        m.mutable_accept_hand()->set_student(who);
        (void) c.request(std::move(m));
      }
  }
  if (calls_done || !rs.media_phase)
    return;
  calls_done = true;
  for (const auto& other : rs.lamps) {
    if (!other->plan->gets_called)
      continue;
    auto start = clock_type::now();
    sig::ClientMessage inv;
    inv.mutable_call_invite()->set_callee(other->plan->identity);
    auto r = c.request(std::move(inv));
    if (!r)
      continue;
    auto id = r->call_invited().call_id();
    auto phase = [&](sig::CallPhase ph) {
      return c.wait_for(
        [&](const sig::ServerMessage& x) {
          return x.has_call_update() && x.call_update().call_id() == id
                 && (x.call_update().phase() == ph
                     || x.call_update().phase() == sig::CALL_PHASE_ENDED);
        },
        10s);
    };
    if (auto u = phase(sig::CALL_PHASE_CONNECTING);
        !u || u->call_update().phase() != sig::CALL_PHASE_CONNECTING)
      continue;
    sig::ClientMessage ready;
    ready.mutable_call_media_ready()->set_call_id(id);
    (void) c.request(std::move(ready));
    if (auto u = phase(sig::CALL_PHASE_CONNECTED);
        u && u->call_update().phase() == sig::CALL_PHASE_CONNECTED) {
      std::lock_guard<std::mutex> g(l.mtx);
      l.call_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start)
                            .count());
    }
    sig::ClientMessage hang;
    hang.mutable_call_hangup()->set_call_id(id);
    (void) c.request(std::move(hang));
  }
}

void lamp_main(run_state& rs, lamp_run& l) {
  const auto& p = *l.plan;
  if (!p.teacher) {
    // Students come once their teacher's classroom is open.
    std::unique_lock<std::mutex> lock(rs.teachers_mtx);
    rs.teachers_cv.wait_until(lock, rs.setup_deadline,
                              [&] { return rs.teachers_ready >= rs.teachers || rs.stop; });
  }
  bool up = bring_up(rs, l);
  if (!up) {
    if (p.teacher && !l.announced)
      teacher_up(rs);  // failed before it published: do not hold its students back
    return;
  }
  l.ready = true;
  media::lamp::device_policy policy;
  policy.watch_caller = false;  // it watches the teacher already
  lamp_device device(*l.client, p.identity, policy);
  device.mark_published();
  bool raised = false, calls_done = false, churned = false;
  auto last_ping = clock_type::now();
  auto last_hands = clock_type::now();
  while (!rs.stop) {
    (void) device.step(100ms);
    if (clock_type::now() - last_ping >= 1s) {
      last_ping = clock_type::now();
      sig::ClientMessage ping;
      ping.mutable_ping()->set_client_time_ms(0);
      auto t = clock_type::now();
      if (l.client->request(std::move(ping))) {
        std::lock_guard<std::mutex> g(l.mtx);
        l.rtt_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t).count());
      }
    }
    if (!rs.media_phase)
      continue;
    if (p.teacher) {
      teach(rs, l, last_hands, calls_done);
      continue;
    }
    if (p.raises_hand && !raised) {
      raised = true;
      sig::ClientMessage m;
      m.mutable_raise_hand();
      (void) l.client->request(std::move(m));
    }
    if (rs.sc.churn && !churned) {
      // Leave and come back: a lamp that lost power for a moment.
      churned = true;
      std::unique_ptr<lamp_client> old;
      {
        std::lock_guard<std::mutex> g(l.mtx);
        old = std::move(l.client);
      }
      old->close();
      old.reset();
      l.ready = false;
      if (!bring_up(rs, l))
        return;
      l.ready = true;
      return;  // the new connection just watches until the end
    }
  }
}

/// First decoded frames, and how many lamps decode everything they watch.
int monitor_once(run_state& rs) {
  int decoding = 0;
  auto now = seconds_since(rs.t0);
  for (auto& l : rs.lamps) {
    std::lock_guard<std::mutex> g(l->mtx);
    if (!l->client)
      continue;
    bool all = !l->watch_since.empty();
    for (const auto& leg : l->client->report()) {
      if (leg.publishing)
        continue;
      auto since = l->watch_since.find(leg.track_id);
      if (since == l->watch_since.end())
        continue;
      bool got = leg.received.frames_decoded > 0;
      all = all && got;
      if (got && !l->decoding[leg.track_id] && leg.kind == media::lamp::clip_kind::video) {
        l->decoding[leg.track_id] = true;
        l->first_frame_ms.push_back((now - since->second) * 1000);
      }
    }
    if (all && l->watch_since.size() == l->plan->watch.size())
      ++decoding;
  }
  return decoding;
}

void progress(const run_state& rs, int decoding, bool final = false) {
  int joined = 0, ready = 0;
  for (const auto& l : rs.lamps) {
    joined += l->joined;
    ready += l->ready;
  }
  int total = static_cast<int>(rs.lamps.size());
  int width = 30, filled = total ? decoding * width / total : 0;
  char line[256];
  std::snprintf(line, sizeof line, "[%.*s%*s] %3d/%d joined, %3d up, %3d decoding, %5.1f s",
                filled, "##############################", width - filled, "", joined, total,
                ready, decoding, seconds_since(rs.t0));
  static bool tty = isatty(STDERR_FILENO);
  if (tty)
    std::fprintf(stderr, "\r%s%s", line, final ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", line);
}

/// RTP packets the lamps received on the streams they watch, so far: what
/// the media provider forwarded, counted the same way for every provider.
double delivered(run_state& rs) {
  uint64_t n = 0;
  for (auto& l : rs.lamps) {
    std::lock_guard<std::mutex> g(l->mtx);
    if (!l->client)
      continue;
    for (const auto& leg : l->client->report())
      if (!leg.publishing && l->watch_since.count(leg.track_id))
        n += leg.received.packets;
  }
  return static_cast<double>(n);
}

/// Node samples and delivered packets at the start and end of the media phase.
struct phase_marks {
  node_probe::sample before, m0, m1;
  double d0 = 0, d1 = 0;
  std::vector<node_probe::node_media> n0, n1;  // per node started here
};

run_result collect(run_state& rs, const phase_marks& k, std::vector<timeline_point> timeline) {
  const auto& before = k.before;
  const auto& m0 = k.m0;
  const auto& m1 = k.m1;
  run_result r;
  r.scenario = rs.sc.name;
  r.provider = rs.provider;
  r.node = rs.node->host() + ":" + std::to_string(rs.node->port());
  r.lamps = static_cast<int>(rs.lamps.size());
  r.media_seconds = m1.at_s - m0.at_s;
  r.timeline = std::move(timeline);
  // Publishers' send times by track, for the watchers' arrivals.
  std::map<std::string, media::lamp::frame_send_times> sent;
  for (auto& l : rs.lamps) {
    std::lock_guard<std::mutex> g(l->mtx);
    if (l->client)
      for (const auto& leg : l->client->report())
        if (leg.publishing && leg.kind == media::lamp::clip_kind::video)
          sent[leg.track_id] = leg.sent.frame_sent_us;
  }
  for (auto& l : rs.lamps) {
    std::lock_guard<std::mutex> g(l->mtx);
    for (auto v : l->join_ms) r.join_ms.add(v);
    for (auto v : l->first_frame_ms) r.first_frame_ms.add(v);
    for (auto v : l->rtt_ms) r.rtt_ms.add(v);
    for (auto v : l->call_ms) r.call_setup_ms.add(v);
    if (!l->error.empty()) {
      r.failures.push_back(lamp_name(*l) + ": " + l->error);
      continue;
    }
    if (!l->client)
      continue;
    for (const auto& leg : l->client->report()) {
      if (leg.publishing || !l->watch_since.count(leg.track_id))
        continue;
      ++r.legs_watched;
      const auto& x = leg.received;
      if (leg.kind == media::lamp::clip_kind::video) {
        if (auto s = sent.find(leg.track_id); s != sent.end())
          for (std::size_t i = 0; i < std::min<uint64_t>(x.arrivals_total, x.arrivals.size()); ++i) {
            auto [number, at_us] = x.arrivals[i];
            auto from_us = s->second[number & 0xFF];
            // A frame sent again since (the clip looped) is no sample.
            if (from_us > 0 && at_us >= from_us && at_us - from_us < 5'000'000)
              r.packet_latency_ms.add(static_cast<double>(at_us - from_us) / 1000.0);
          }
        r.video_frames_decoded += x.frames_decoded;
        r.video_frames_sent += x.frames_decoded + x.stamp_gaps;
        r.video_gaps += x.stamp_gaps;
      } else {
        r.audio_frames_decoded += x.frames_decoded;
        r.audio_lost += x.audio_lost;
      }
      if (x.frames_decoded == 0)
        r.failures.push_back(lamp_name(*l) + ": nothing decoded from " + leg.track_id);
    }
  }
  double forwarded = k.d1 - k.d0;
  r.forwarded_pps = r.media_seconds > 0 ? forwarded / r.media_seconds : 0;
  if (forwarded > 0)
    r.cpu_s_per_1000_forwarded = (m1.cpu_s - m0.cpu_s) / (forwarded / 1000.0);
  if (r.lamps > 0)
    r.rss_bytes_per_participant = (m0.rss_bytes - before.rss_bytes) / r.lamps;
  for (std::size_t i = 0; i < k.n0.size() && i < k.n1.size() && r.media_seconds > 0; ++i) {
    const auto& a = k.n0[i];
    const auto& b = k.n1[i];
    auto pps = [&](double from, double to) { return (to - from) / r.media_seconds; };
    r.nodes.push_back({a.name, pps(a.rtp_in, b.rtp_in), pps(a.rtp_forwarded, b.rtp_forwarded),
                       pps(a.pipe_in, b.pipe_in), pps(a.pipe_out, b.pipe_out),
                       pps(a.cpu_s, b.cpu_s) * 100});
  }
  return r;
}

int parse(int argc, char** argv, options& o) {
  po::options_description opts("lamplight-bench lamps [options]");
  // clang-format off
  opts.add_options()
    ("help,h", "help")
    ("scenario", po::value(&o.scenario)->default_value(o.scenario), "see below")
    ("n", po::value(&o.n)->default_value(o.n), "lamps, pairs (one-on-one) or groups (group)")
    ("node", po::value(&o.node), "host:port of a running node (default: start one here)")
    ("node-bin", po::value(&o.node_bin), "lamplight-node to start (default: next to this build)")
    ("media-workers", po::value(&o.media_workers)->default_value(o.media_workers), "for a node started here (0: one per core)")
    ("seconds", po::value(&o.seconds)->default_value(o.seconds), "media phase, after every lamp is up")
    ("setup-timeout", po::value(&o.setup_timeout)->default_value(o.setup_timeout), "seconds for every lamp to come up")
    ("fps", po::value(&o.fps)->default_value(o.fps), "camera frame rate of the lamps")
    ("parallel", po::value(&o.parallel)->default_value(o.parallel), "lamps setting up their media at once (join-storm: all join at once regardless)")
    ("libnice", po::bool_switch(&o.libnice), "full libnice ICE agents (default: one lite check each; always on Janus)")
    ("provider", po::value(&o.provider)->default_value(o.provider), "media provider: sfu (lamplight's), janus (a Janus 1.1 started here, in its own network namespace), or both: the same scenario on each, side by side, with ratios")
    ("janus-bin", po::value(&o.janus_bin)->default_value(o.janus_bin), "the Janus to start")
    ("media-nodes", po::value(&o.media_nodes)->default_value(o.media_nodes), "0: one all-in-one node; N: a cluster started here, a room node and N gateway+media nodes, lamps spread over them (sfu)")
    ("json", po::value(&o.json), "result file (default lamplight-bench-<scenario>.json)")
    ("html", po::value(&o.html), "report file (default lamplight-bench-<scenario>.html)");
  // clang-format on
  po::variables_map vm;
  if (!parse_options(opts, argc, argv, vm))
    return 2;
  if (vm.count("help") || o.n < 1 || o.seconds < 1 || o.fps < 1 || o.fps > 30) {
    std::printf("simulated lamps (real signaling, ICE, DTLS, SRTP, VP8/Opus, decoding) "
                "against a node\n\nscenarios:\n%s\n", scenario_help());
    std::ostringstream os;
    os << opts;
    std::printf("%s\n", os.str().c_str());
    return vm.count("help") ? 1 : 2;
  }
  if (o.json.empty())
    o.json = "lamplight-bench-" + o.scenario + ".json";
  if (o.html.empty())
    o.html = "lamplight-bench-" + o.scenario + ".html";
  return 0;
}

std::string default_node_bin() {
  char self[4096];
  auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return "lamplight-node";
  self[n] = 0;
  return (std::filesystem::path(self).parent_path().parent_path() / "nodes" / "node"
          / "lamplight-node")
    .string();
}

} // namespace

namespace {

/// One run of the scenario on one provider; nullopt if it could not start.
std::optional<run_result> run_on(const options& opt, const std::string& provider) {
  run_state rs;
  rs.opt = opt;
  rs.provider = provider;
  rs.sc = make_scenario(opt.scenario, opt.n);
  std::unique_ptr<test::janus_process> janus;
  std::unique_ptr<node_probe> node;
  if (opt.node.empty()) {
    std::vector<std::string> args{"--media-workers", std::to_string(opt.media_workers)};
    if (provider == "janus") {
      try {
        test::janus_options jo;
        jo.binary = opt.janus_bin;
        janus = std::make_unique<test::janus_process>(jo);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "lamplight-bench: cannot start Janus: %s\n", e.what());
        return std::nullopt;
      }
      args.insert(args.end(), {"--provider", "janus", "--janus",
                               janus->host + ":" + std::to_string(janus->ws_port)});
      rs.media_ip = janus->peer_ip;
    }
    auto bin = opt.node_bin.empty() ? default_node_bin() : opt.node_bin;
    node = opt.media_nodes > 0 ? node_probe::start_cluster(bin, args, opt.media_nodes)
                               : node_probe::start(bin, args);
    if (node && janus)
      node->add_process(janus->pid());
  } else {
    auto colon = opt.node.rfind(':');
    if (colon != std::string::npos)
      node = node_probe::attach(opt.node.substr(0, colon),
                                static_cast<uint16_t>(std::stoi(opt.node.substr(colon + 1))));
  }
  if (!node) {
    std::fprintf(stderr, "lamplight-bench: no node (start failed or bad --node)\n");
    return std::nullopt;
  }
  rs.node = node.get();
  auto media = media::lamp::lamp_media::make(150, opt.fps);
  if (!media) {
    std::fprintf(stderr, "lamplight-bench: %s\n", media.err().message.c_str());
    return std::nullopt;
  }
  rs.media = *media;
  std::fprintf(stderr, "lamplight-bench lamps %s on %s: %zu lamps against %s:%u\n",
               rs.sc.name.c_str(), provider.c_str(), rs.sc.lamps.size(), rs.node->host().c_str(),
               rs.node->port());
  phase_marks k;
  k.before = rs.node->read();
  rs.t0 = clock_type::now();
  rs.setup_deadline = rs.t0 + std::chrono::seconds(opt.setup_timeout);
  for (const auto& p : rs.sc.lamps) {
    auto l = std::make_unique<lamp_run>();
    l->plan = &p;
    l->index = rs.lamps.size();
    rs.teachers += p.teacher;
    rs.lamps.push_back(std::move(l));
  }
  for (auto& l : rs.lamps) {
    auto* lp = l.get();
    l->thread = std::thread([&rs, lp] { lamp_main(rs, *lp); });
    // Lamps are switched on one after another, except in the storm (one
    // second for everyone: the threads start as fast as they can).
    if (!rs.sc.storm)
      std::this_thread::sleep_for(5ms);
  }
  // Setup: until every lamp is up (or failed), bounded.
  int decoding = 0;
  while (clock_type::now() < rs.setup_deadline) {
    decoding = monitor_once(rs);
    int settled = 0;
    for (const auto& l : rs.lamps) {
      std::lock_guard<std::mutex> g(l->mtx);
      settled += l->ready || !l->error.empty();
    }
    progress(rs, decoding);
    if (settled == static_cast<int>(rs.lamps.size()))
      break;
    std::this_thread::sleep_for(20ms);
  }
  // Media: a fixed time with everyone up; the node sampled every second.
  // First frames are only taken until every lamp decodes, so the monitor
  // then reads the lamps once a second, not every 20 ms: at 200 lamps it
  // would otherwise cost the bench's own CPU, which the lamps need.
  k.m0 = rs.node->read();
  k.n0 = rs.node->per_node();
  k.d0 = delivered(rs);
  rs.media_phase = true;
  std::vector<timeline_point> timeline;
  auto prev = k.m0;
  double prev_d = k.d0;
  auto media_end = clock_type::now() + std::chrono::seconds(opt.seconds);
  auto next_sample = clock_type::now() + 1s;
  int total = static_cast<int>(rs.lamps.size());
  while (clock_type::now() < media_end) {
    if (decoding < total)
      decoding = monitor_once(rs);
    if (clock_type::now() >= next_sample) {
      next_sample += 1s;
      decoding = monitor_once(rs);
      auto s = rs.node->read();
      auto d = delivered(rs);
      double dt = std::max(1e-3, s.at_s - prev.at_s);
      timeline.push_back({s.at_s - k.m0.at_s, (s.cpu_s - prev.cpu_s) / dt * 100, (d - prev_d) / dt,
                          s.rss_bytes / 1048576.0, decoding});
      prev = s;
      prev_d = d;
      progress(rs, decoding);
    }
    std::this_thread::sleep_for(decoding < total ? 20ms : 200ms);
  }
  k.m1 = rs.node->read();
  k.n1 = rs.node->per_node();
  k.d1 = delivered(rs);
  progress(rs, decoding, true);
  rs.stop = true;
  rs.teachers_cv.notify_all();
  for (auto& l : rs.lamps)
    l->thread.join();
  auto result = collect(rs, k, std::move(timeline));
  for (auto& l : rs.lamps) {
    std::lock_guard<std::mutex> g(l->mtx);
    if (l->client)
      l->client->close();
  }
  return result;
}

/// `file` with the provider before its extension, for side-by-side runs.
std::string with_provider(const std::string& file, const std::string& provider) {
  auto dot = file.rfind('.');
  return dot == std::string::npos ? file + "-" + provider
                                  : file.substr(0, dot) + "-" + provider + file.substr(dot);
}

} // namespace

int run_lamps(int argc, char** argv) {
  options opt;
  if (int rc = parse(argc, argv, opt))
    return rc == 1 ? 0 : rc;
  if (make_scenario(opt.scenario, opt.n).name.empty()) {
    std::fprintf(stderr, "unknown scenario %s\n%s", opt.scenario.c_str(), scenario_help());
    return 2;
  }
  std::vector<std::string> providers;
  if (opt.provider == "both")
    providers = {"sfu", "janus"};
  else if (opt.provider == "sfu" || opt.provider == "janus")
    providers = {opt.provider};
  else {
    std::fprintf(stderr, "--provider is sfu, janus or both\n");
    return 2;
  }
  if (opt.media_nodes > 0 && (!opt.node.empty() || opt.provider != "sfu")) {
    std::fprintf(stderr, "--media-nodes starts its own cluster of lamplight's SFU: leave out --node "
                         "and --provider\n");
    return 2;
  }
  if (providers.size() > 1 && !opt.node.empty()) {
    std::fprintf(stderr, "side by side starts its own nodes: leave out --node\n");
    return 2;
  }
  // Lamps on Janus need libnice; side by side, the SFU's lamps run it too,
  // so that both providers serve the same clients.
  if (providers.size() > 1)
    opt.libnice = true;
  std::vector<run_result> results;
  bool failed = false;
  for (const auto& p : providers) {
    auto r = run_on(opt, p);
    if (!r)
      return 1;
    print_summary(*r);
    auto json = providers.size() > 1 ? with_provider(opt.json, p) : opt.json;
    auto html = providers.size() > 1 ? with_provider(opt.html, p) : opt.html;
    write_json(*r, json);
    write_html(*r, html);
    std::printf("  results in %s and %s\n", json.c_str(), html.c_str());
    failed = failed || !r->failures.empty();
    results.push_back(std::move(*r));
  }
  if (results.size() == 2) {
    print_comparison(results[0], results[1]);
    write_comparison_json(results[0], results[1], with_provider(opt.json, "compare"));
    write_comparison_html(results[0], results[1], with_provider(opt.html, "compare"));
    std::printf("  side by side in %s and %s\n", with_provider(opt.json, "compare").c_str(),
                with_provider(opt.html, "compare").c_str());
  }
  return failed ? 1 : 0;
}

} // namespace lamplight::bench
