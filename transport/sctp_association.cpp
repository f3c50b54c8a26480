#include "transport/sctp_association.hpp"

#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <usrsctp.h>

namespace lamplight::transport {

const char* to_string(sctp_state x) {
  switch (x) {
    case sctp_state::connecting: return "connecting";
    case sctp_state::open: return "open";
    case sctp_state::closed: return "closed";
  }
  return "?";
}

const char* to_string(sctp_association::send_result x) {
  switch (x) {
    case sctp_association::send_result::ok: return "ok";
    case sctp_association::send_result::would_block: return "would_block";
    case sctp_association::send_result::too_large: return "too_large";
    case sctp_association::send_result::closed: return "closed";
  }
  return "?";
}

/// Packets usrsctp wants sent for one association. usrsctp may produce
/// them from any thread that holds the library lock (timers of one owner
/// fire in another's tick), so they wait here for the owner.
struct sctp_outbox {
  std::mutex mtx;
  std::vector<std::vector<uint8_t>> packets;
};

namespace {

/// usrsctp is one stack per process: one lock around every call into it,
/// recursive because its callbacks run inside those calls.
std::recursive_mutex& library_lock() {
  static std::recursive_mutex m;
  return m;
}

/// Association ids (what usrsctp knows as the AF_CONN address) to their
/// outboxes. Numbers, not pointers: a callback for an association that is
/// gone finds nothing instead of freed memory.
struct registry {
  std::mutex mtx;
  uintptr_t next = 1;
  std::unordered_map<uintptr_t, std::shared_ptr<sctp_outbox>> boxes;
};

registry& reg() {
  static registry r;
  return r;
}

int conn_output(void* addr, void* buffer, std::size_t length, uint8_t, uint8_t) {
  std::shared_ptr<sctp_outbox> box;
  {
    std::lock_guard<std::mutex> g(reg().mtx);
    auto it = reg().boxes.find(reinterpret_cast<uintptr_t>(addr));
    if (it == reg().boxes.end())
      return 0;
    box = it->second;
  }
  auto* b = static_cast<const uint8_t*>(buffer);
  std::lock_guard<std::mutex> g(box->mtx);
  box->packets.emplace_back(b, b + length);
  return 0;
}

int64_t& last_tick_ms() {
  static int64_t t = 0;
  return t;
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    usrsctp_init_nothreads(0, conn_output, nullptr);
    // No SCTP over UDP encapsulation and no ECN: SCTP rides on DTLS here.
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    // Data channels may carry large messages; the default windows are small.
    usrsctp_sysctl_set_sctp_sendspace(1024 * 1024);
    usrsctp_sysctl_set_sctp_recvspace(1024 * 1024);
    last_tick_ms() = steady_ms();
  });
}

template <class T>
void set_option(struct ::socket* s, int level, int name, const T& value) {
  usrsctp_setsockopt(s, level, name, &value, sizeof(value));
}

} // namespace

sctp_association::sctp_association(std::size_t max_message, uint16_t port)
  : port_(port), max_message_(max_message), out_(std::make_shared<sctp_outbox>()) {
  init_library();
  {
    std::lock_guard<std::mutex> g(reg().mtx);
    id_ = reg().next++;
    reg().boxes[id_] = out_;
  }
  std::lock_guard<std::recursive_mutex> lib(library_lock());
  usrsctp_register_address(reinterpret_cast<void*>(id_));
  sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  if (!sock_) {
    state_ = sctp_state::closed;
    return;
  }
  usrsctp_set_non_blocking(sock_, 1);
  // Closing aborts at once: there is nobody to linger for.
  linger lg{1, 0};
  set_option(sock_, SOL_SOCKET, SO_LINGER, lg);
  set_option(sock_, IPPROTO_SCTP, SCTP_NODELAY, 1);
  set_option(sock_, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1);
  sctp_assoc_value reset{};
  reset.assoc_id = SCTP_ALL_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  set_option(sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, reset);
  sctp_initmsg init{};
  init.sinit_num_ostreams = 1024;  // RFC 8831 section 6.2: as many as may be used
  init.sinit_max_instreams = 1024;
  set_option(sock_, IPPROTO_SCTP, SCTP_INITMSG, init);
  for (uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_PARTIAL_DELIVERY_EVENT, SCTP_STREAM_RESET_EVENT}) {
    sctp_event ev{};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_type = type;
    ev.se_on = 1;
    set_option(sock_, IPPROTO_SCTP, SCTP_EVENT, ev);
  }
  sockaddr_conn local{};
  local.sconn_family = AF_CONN;
  local.sconn_port = htons(port_);
  local.sconn_addr = reinterpret_cast<void*>(id_);
  if (usrsctp_bind(sock_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0)
    state_ = sctp_state::closed;
}

sctp_association::~sctp_association() {
  {
    std::lock_guard<std::recursive_mutex> lib(library_lock());
    if (sock_)
      usrsctp_close(sock_);
    usrsctp_deregister_address(reinterpret_cast<void*>(id_));
  }
  std::lock_guard<std::mutex> g(reg().mtx);
  reg().boxes.erase(id_);
}

void sctp_association::connect(uint16_t remote_port) {
  if (!sock_ || state_ == sctp_state::closed)
    return;
  sockaddr_conn remote{};
  remote.sconn_family = AF_CONN;
  remote.sconn_port = htons(remote_port);
  remote.sconn_addr = reinterpret_cast<void*>(id_);
  std::lock_guard<std::recursive_mutex> lib(library_lock());
  // Non-blocking: EINPROGRESS is the normal answer.
  usrsctp_connect(sock_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote));
}

void sctp_association::on_packet(const uint8_t* data, std::size_t size) {
  if (!sock_)
    return;
  {
    std::lock_guard<std::recursive_mutex> lib(library_lock());
    usrsctp_conninput(reinterpret_cast<void*>(id_), data, size, 0);
  }
  read_socket();
}

void sctp_association::read_socket() {
  std::vector<uint8_t> buf(64 * 1024);
  for (;;) {
    sctp_rcvinfo info{};
    socklen_t info_len = sizeof(info);
    unsigned info_type = 0;
    int flags = 0;
    sockaddr_conn from{};
    socklen_t from_len = sizeof(from);
    ssize_t n;
    {
      std::lock_guard<std::recursive_mutex> lib(library_lock());
      n = usrsctp_recvv(sock_, buf.data(), buf.size(), reinterpret_cast<sockaddr*>(&from),
                        &from_len, &info, &info_len, &info_type, &flags);
    }
    if (n <= 0)
      return;
    if (flags & MSG_NOTIFICATION) {
      auto* note = reinterpret_cast<const sctp_notification*>(buf.data());
      if (note->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
        switch (note->sn_assoc_change.sac_state) {
          case SCTP_COMM_UP: state_ = sctp_state::open; break;
          case SCTP_COMM_LOST:
          case SCTP_SHUTDOWN_COMP:
          case SCTP_CANT_STR_ASSOC: state_ = sctp_state::closed; break;
          default: break;
        }
      }
      continue;
    }
    if (info_type != SCTP_RECVV_RCVINFO)
      continue;
    auto& p = partial_[info.rcv_sid];
    p.msg.stream = info.rcv_sid;
    p.msg.ppid = ntohl(info.rcv_ppid);
    if (p.dropping || p.msg.data.size() + static_cast<std::size_t>(n) > max_message_) {
      // Too large: what came is dropped, and the rest until its end.
      p.dropping = true;
      p.msg.data = {};
    } else {
      p.msg.data.insert(p.msg.data.end(), buf.begin(), buf.begin() + n);
    }
    if (flags & MSG_EOR) {
      if (p.dropping)
        ++oversized_;
      else
        ready_.push_back(std::move(p.msg));
      partial_.erase(info.rcv_sid);
    }
  }
}

std::vector<std::vector<uint8_t>> sctp_association::take_outgoing() {
  std::lock_guard<std::mutex> g(out_->mtx);
  return std::exchange(out_->packets, {});
}

std::optional<sctp_association::message> sctp_association::receive() {
  if (ready_head_ >= ready_.size()) {
    ready_.clear();
    ready_head_ = 0;
    return std::nullopt;
  }
  return std::move(ready_[ready_head_++]);
}

sctp_association::send_result sctp_association::send(uint16_t stream, uint32_t ppid,
                                                      const uint8_t* data, std::size_t size,
                                                      bool ordered,
                                                      std::optional<uint32_t> max_retransmits,
                                                      std::optional<uint32_t> max_lifetime_ms) {
  if (!sock_ || state_ != sctp_state::open)
    return send_result::closed;
  if (size > max_message_)
    return send_result::too_large;
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = static_cast<uint16_t>(SCTP_EOR | (ordered ? 0 : SCTP_UNORDERED));
  if (max_retransmits || max_lifetime_ms) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = max_retransmits ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = max_retransmits ? *max_retransmits : *max_lifetime_ms;
  }
  // An empty message cannot be sent: WebRTC sends one byte with an
  // "empty" PPID instead (RFC 8831 section 6.6); the caller chose the PPID.
  static const uint8_t zero = 0;
  if (size == 0) {
    data = &zero;
    size = 1;
  }
  ssize_t n;
  {
    std::lock_guard<std::recursive_mutex> lib(library_lock());
    n = usrsctp_sendv(sock_, data, size, nullptr, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0);
  }
  if (n < 0)
    return errno == EWOULDBLOCK || errno == EAGAIN ? send_result::would_block : send_result::closed;
  return send_result::ok;
}

void sctp_association::tick() {
  init_library();
  std::lock_guard<std::recursive_mutex> lib(library_lock());
  auto now = steady_ms();
  auto elapsed = now - last_tick_ms();
  if (elapsed <= 0)
    return;
  last_tick_ms() = now;
  usrsctp_handle_timers(static_cast<uint32_t>(elapsed));
}

void sctp_association::advance_timers(uint32_t elapsed_ms) {
  init_library();
  std::lock_guard<std::recursive_mutex> lib(library_lock());
  usrsctp_handle_timers(elapsed_ms);
}

} // namespace lamplight::transport
