#include "nodes/node/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <future>
#include <string_view>

#include <sys/resource.h>
#include <unistd.h>

#include "protocol/errc.hpp"
#include "protocol/token.hpp"

namespace lamplight::node {

namespace {

using worker_stats = media::media_worker::worker_stats;

/// The text exposition format, version 0.0.4: a family is its # HELP and
/// # TYPE lines, then its samples `name{label="value",...} value`.
class exposition {
public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (char c : help) {  // HELP escapes backslash and line feed
      if (c == '\\')
        out_ += "\\\\";
      else if (c == '\n')
        out_ += "\\n";
      else
        out_ += c;
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::string_view name, uint64_t v) { sample(name, {}, {}, std::to_string(v)); }
  void sample(std::string_view name, double v) { sample(name, {}, {}, number(v)); }
  void sample(std::string_view name, std::string_view label, std::string_view value,
              uint64_t v) {
    sample(name, label, value, std::to_string(v));
  }

  /// A family of one unlabelled sample.
  template <class T>
  void single(std::string_view name, std::string_view type, std::string_view help, T v) {
    family(name, type, help);
    sample(name, v);
  }

  std::string take() { return std::move(out_); }

private:
  void sample(std::string_view name, std::string_view label, std::string_view value,
              const std::string& v) {
    out_ += name;
    if (!label.empty()) {
      out_ += '{';
      out_ += label;
      out_ += "=\"";
      for (char c : value) {  // label values also escape the double quote
        if (c == '\\')
          out_ += "\\\\";
        else if (c == '"')
          out_ += "\\\"";
        else if (c == '\n')
          out_ += "\\n";
        else
          out_ += c;
      }
      out_ += "\"}";
    }
    out_ += ' ';
    out_ += v;
    out_ += '\n';
  }

  static std::string number(double v) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
    return std::string(buf, r.ptr);
  }

  std::string out_;
};

/// Every error code a client can be told, known or newer than this table.
std::size_t errc_slots(const actors::node_status& st) {
  return std::max(st.requests_failed.size(),
                  protocol::errc_count);
}

/// The errc name; a code newer than this build by its number, so two such
/// codes never share a series.
std::string errc_label(std::size_t code) {
  std::string name = protocol::to_string(static_cast<protocol::errc>(code));
  return name == "unknown" ? std::to_string(code) : name;
}

uint64_t at(const std::vector<uint64_t>& v, std::size_t i) {
  return i < v.size() ? v[i] : 0;
}

/// A small JSON writer: keys in the order written, so operators read (and
/// diff) the same layout every time, which protobuf's Struct does not keep.
class json_writer {
public:
  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  json_writer& key(std::string_view k) {
    comma();
    quoted(k);
    out_ += ':';
    fresh_ = true;  // the value follows without a comma
    return *this;
  }
  json_writer& value(std::string_view v) {
    comma();
    quoted(v);
    return *this;
  }
  json_writer& value(const char* v) { return value(std::string_view(v)); }
  json_writer& value(uint64_t v) {
    comma();
    out_ += std::to_string(v);
    return *this;
  }
  json_writer& value(double v) {
    comma();
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out_.append(buf, r.ptr);
    return *this;
  }
  json_writer& value(bool v) {
    comma();
    out_ += v ? "true" : "false";
    return *this;
  }
  template <class T>
  json_writer& field(std::string_view k, T v) {
    return key(k).value(v);
  }

  std::string take() { return std::move(out_); }

private:
  json_writer& open(char c) {
    comma();
    out_ += c;
    fresh_ = true;
    return *this;
  }
  json_writer& close(char c) {
    out_ += c;
    fresh_ = false;
    return *this;
  }
  void comma() {
    if (!fresh_)
      out_ += ',';
    fresh_ = false;
  }
  void quoted(std::string_view s) {
    out_ += '"';
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += ch;
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += ch;  // UTF-8 passes as it is
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool fresh_ = true;
};

} // namespace

process_usage read_process_usage() {
  process_usage out;
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages)
    out.resident_bytes = resident_pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0)
    out.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
                      + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return out;
}

uint32_t media_totals::stalled() const {
  uint32_t n = 0;
  for (bool a : answered)
    n += a ? 0 : 1;
  return n;
}

void add_to(worker_stats& into, const worker_stats& x) {
  into.plis_sent += x.plis_sent;
  into.nacks_sent += x.nacks_sent;
  into.retransmitted += x.retransmitted;
  into.rembs_sent += x.rembs_sent;
  into.rrs_sent += x.rrs_sent;
  into.srs_sent += x.srs_sent;
  into.unknown_ssrc += x.unknown_ssrc;
  into.layer_switches += x.layer_switches;
  into.datagrams_in += x.datagrams_in;
  into.rtp_in += x.rtp_in;
  into.rtp_forwarded += x.rtp_forwarded;
  into.bytes_out += x.bytes_out;
  into.send_dropped += x.send_dropped;
  into.srtp_failures += x.srtp_failures;
  into.unroutable += x.unroutable;
  into.garbage += x.garbage;
  into.data_relayed += x.data_relayed;
  into.data_unrelayed += x.data_unrelayed;
  into.pipes += x.pipes;
  into.pipe_rtp_in += x.pipe_rtp_in;
  into.pipe_rtp_out += x.pipe_rtp_out;
}

media_counters::media_counters(std::shared_ptr<media::worker_pool> pool)
  : pool_(std::move(pool)) {}

media_totals media_counters::collect(std::chrono::steady_clock::time_point deadline) {
  media_totals out;
  if (!pool_)
    return out;
  auto now = pool_->stats(deadline);
  std::lock_guard<std::mutex> guard(mtx_);
  last_.resize(now.size());
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (now[i])
      last_[i] = *now[i];
    out.workers.push_back(last_[i]);
    out.answered.push_back(now[i].has_value());
    add_to(out.sum, last_[i]);
  }
  return out;
}

std::string render_metrics(const actors::node_status& st, const media_totals& media,
                           const process_usage& proc) {
  exposition x;
  x.family("lamplight_node_info", "gauge", "Always 1; the node's name is its label.");
  x.sample("lamplight_node_info", "node", st.node_name, 1);
  x.single("lamplight_uptime_seconds", "gauge", "Seconds since the node started.",
           static_cast<uint64_t>(std::max<int64_t>(st.uptime_s, 0)));

  // -- classrooms --------------------------------------------------------------
  x.single("lamplight_classrooms", "gauge", "Classrooms open on this node.",
           uint64_t{st.classrooms});
  x.single("lamplight_members", "gauge",
           "Members holding a seat in this node's classrooms, online or not.",
           uint64_t{st.members});
  x.single("lamplight_members_online", "gauge", "Members with a live connection.",
           uint64_t{st.online});
  x.single("lamplight_tracks", "gauge", "Published tracks in this node's classrooms.",
           uint64_t{st.tracks});
  x.family("lamplight_call_outcomes_total", "counter",
           "Calls by outcome: connected once media came up, and how each ended "
           "(busy and failed include invites refused because the callee was busy or not "
           "connected).");
  for (std::size_t i = 0; i < actors::call_outcome_count; ++i)
    x.sample("lamplight_call_outcomes_total", "outcome",
             actors::to_string(static_cast<actors::call_outcome>(i)), at(st.call_outcomes, i));
  x.family("lamplight_requests_failed_total", "counter",
           "Typed errors returned to WebSocket clients, by error code.");
  for (std::size_t i = 1; i < errc_slots(st); ++i)
    x.sample("lamplight_requests_failed_total", "code", errc_label(i), at(st.requests_failed, i));

  // -- media -------------------------------------------------------------------
  uint64_t peers = 0;
  for (const auto& w : st.media_workers)
    peers += w.peers;
  x.single("lamplight_media_workers", "gauge", "Media forwarding threads (one UDP port each).",
           uint64_t{st.media_workers.size()});
  x.single("lamplight_media_workers_stalled", "gauge",
           "Media workers that did not answer this scrape in time (their counters are "
           "their last answer).",
           uint64_t{media.stalled()});
  x.single("lamplight_media_peers", "gauge", "Peer connections held by all media workers.",
           peers);
  x.single("lamplight_media_pipes", "gauge",
           "Pipes from this node's media workers to other media nodes' workers.",
           media.sum.pipes);
  const auto& m = media.sum;
  struct counter {
    const char* name;
    uint64_t value;
    const char* help;
  };
  for (const auto& c : {
         counter{"lamplight_media_datagrams_in_total", m.datagrams_in,
                 "UDP datagrams received by the media workers."},
         counter{"lamplight_media_rtp_in_total", m.rtp_in,
                 "RTP packets received that decrypted."},
         counter{"lamplight_media_rtp_forwarded_total", m.rtp_forwarded,
                 "RTP packets sent to subscribers, retransmissions included."},
         counter{"lamplight_media_bytes_out_total", m.bytes_out,
                 "UDP payload bytes sent (media, RTCP, DTLS, STUN)."},
         counter{"lamplight_media_retransmitted_total", m.retransmitted,
                 "RTP packets resent to subscribers on their NACKs."},
         counter{"lamplight_media_plis_sent_total", m.plis_sent,
                 "Key frame requests (PLI) sent to publishers."},
         counter{"lamplight_media_nacks_sent_total", m.nacks_sent,
                 "NACKs sent to publishers for gaps in what they sent."},
         counter{"lamplight_media_pipe_rtp_in_total", m.pipe_rtp_in,
                 "RTP packets that came through pipes from other media nodes."},
         counter{"lamplight_media_pipe_rtp_out_total", m.pipe_rtp_out,
                 "RTP packets sent into pipes to other media nodes (once per node, not per watcher)."},
         counter{"lamplight_media_unroutable_total", m.unroutable,
                 "Datagrams from no ICE-validated address, dropped."},
         counter{"lamplight_media_garbage_total", m.garbage,
                 "Datagrams of no known protocol (RFC 7983), dropped."},
         counter{"lamplight_media_srtp_failures_total", m.srtp_failures,
                 "SRTP/SRTCP packets that did not decrypt or came before the keys."},
         counter{"lamplight_media_send_dropped_total", m.send_dropped,
                 "Datagrams dropped because the socket buffer was full."},
       })
    x.single(c.name, "counter", c.help, c.value);

  // -- process -----------------------------------------------------------------
  x.family("lamplight_cluster_members", "gauge",
           "Cluster members this node knows (itself included), by state.");
  for (auto state : {actors::member_state::alive, actors::member_state::suspect,
                     actors::member_state::dead, actors::member_state::left}) {
    uint64_t n = 0;
    for (const auto& member : st.cluster)
      n += member.state == state;
    x.sample("lamplight_cluster_members", "state", actors::to_string(state), n);
  }
  const auto& r = st.replication;
  x.family("lamplight_replica_journals", "gauge",
           "This node's classroom journals, by how their replica on another node stands.");
  // Each journal is in one of the three states.
  x.sample("lamplight_replica_journals", "state", "current", uint64_t{r.current});
  x.sample("lamplight_replica_journals", "state", "behind",
           uint64_t{r.journals - r.current - r.without_replica});
  x.sample("lamplight_replica_journals", "state", "no_replica", uint64_t{r.without_replica});
  x.single("lamplight_replica_behind_bytes", "gauge",
           "Journal bytes written here that their replica does not hold yet.", r.behind_bytes);
  x.single("lamplight_replica_photos_pending", "gauge",
           "Homework photos stored here, waiting to reach their replica node.",
           uint64_t{r.photos_pending});
  x.single("lamplight_replica_shipped_bytes_total", "counter",
           "Journal bytes the replica nodes took from this node.", r.shipped_bytes);
  x.single("lamplight_process_resident_bytes", "gauge", "Resident memory of the node process.",
           proc.resident_bytes);
  x.single("lamplight_process_cpu_seconds_total", "counter",
           "CPU time of the node process, user and system, all threads.", proc.cpu_seconds);
  return x.take();
}

std::string render_admin_status(const actors::node_status& st, const media_totals& media,
                                const process_usage& proc) {
  json_writer j;
  j.begin_object()
    .field("node", std::string_view(st.node_name))
    .field("uptimeS", static_cast<uint64_t>(std::max<int64_t>(st.uptime_s, 0)))
    .field("dataDir", std::string_view(st.data_dir))
    .field("classroomCount", uint64_t{st.classrooms})
    .field("members", uint64_t{st.members})
    .field("online", uint64_t{st.online})
    .field("tracks", uint64_t{st.tracks})
    .field("residentBytes", proc.resident_bytes)
    .field("cpuSeconds", proc.cpu_seconds);
  j.key("classrooms").begin_array();
  for (const auto& r : st.rooms) {
    j.begin_object()
      .field("tenant", std::string_view(r.tenant))
      .field("id", std::string_view(r.classroom_id))
      .field("mode", r.answered ? protocol::mode_name(r.mode) : "")
      .field("members", uint64_t{r.members})
      .field("online", uint64_t{r.online})
      .field("tracks", uint64_t{r.tracks})
      .field("answered", r.answered)
      .end_object();
  }
  j.end_array();
  j.key("mediaWorkers").begin_array();
  for (std::size_t i = 0; i < st.media_workers.size(); ++i) {
    j.begin_object()
      .field("port", uint64_t{st.media_workers[i].port})
      .field("peers", uint64_t{st.media_workers[i].peers});
    if (i < media.workers.size()) {
      const auto& w = media.workers[i];
      j.field("answered", bool(media.answered[i]))
        .field("datagramsIn", w.datagrams_in)
        .field("rtpIn", w.rtp_in)
        .field("rtpForwarded", w.rtp_forwarded)
        .field("bytesOut", w.bytes_out)
        .field("srtpFailures", w.srtp_failures);
    }
    j.end_object();
  }
  j.end_array();
  j.key("callOutcomes").begin_object();
  for (std::size_t i = 0; i < actors::call_outcome_count; ++i)
    j.field(actors::to_string(static_cast<actors::call_outcome>(i)), at(st.call_outcomes, i));
  j.end_object();
  // Only the codes that occurred: eighteen zeros would bury them.
  j.key("requestsFailed").begin_object();
  for (std::size_t i = 1; i < st.requests_failed.size(); ++i)
    if (st.requests_failed[i] != 0)
      j.field(errc_label(i), st.requests_failed[i]);
  j.end_object();
  j.key("cluster").begin_array();
  for (const auto& m : st.cluster) {
    std::string roles;
    for (const auto& r : m.info.roles)
      roles += (roles.empty() ? "" : ",") + r;
    j.begin_object()
      .field("name", std::string_view(m.info.name))
      .field("state", actors::to_string(m.state))
      .field("roles", std::string_view(roles))
      .field("draining", m.info.draining)
      .field("self", m.self)
      .field("http", std::string_view(m.info.http))
      .field("clusterEndpoint", std::string_view(m.info.cluster))
      .field("silentMs", static_cast<uint64_t>(std::max<int64_t>(m.silent_ms, 0)))
      .end_object();
  }
  j.end_array();
  j.key("replication")
    .begin_object()
    .field("journals", uint64_t{st.replication.journals})
    .field("current", uint64_t{st.replication.current})
    .field("withoutReplica", uint64_t{st.replication.without_replica})
    .field("behindBytes", st.replication.behind_bytes)
    .field("photosPending", uint64_t{st.replication.photos_pending})
    .field("shippedBytes", st.replication.shipped_bytes)
    .end_object();
  j.end_object();
  return j.take();
}

bool admin_allowed(bool remote_is_loopback, bool admin_bind_any) {
  return remote_is_loopback || admin_bind_any;
}

} // namespace lamplight::node
