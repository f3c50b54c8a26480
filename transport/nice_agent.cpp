#include "transport/nice_agent.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <nice/agent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace lamplight::transport {

namespace {

/// The GLib main loop all agents of the process share, on its own thread,
/// alive while any agent is.
class shared_loop {
public:
  static std::shared_ptr<shared_loop> get() {
    static std::mutex m;
    static std::weak_ptr<shared_loop> current;
    std::lock_guard<std::mutex> g(m);
    auto l = current.lock();
    if (!l) {
      l = std::shared_ptr<shared_loop>(new shared_loop());
      current = l;
    }
    return l;
  }
  ~shared_loop() {
    g_main_loop_quit(loop_);
    thread_.join();
    g_main_loop_unref(loop_);
    g_main_context_unref(ctx_);
  }
  GMainContext* context() const { return ctx_; }

  /// Runs `f` on the loop thread and waits for it: agents are created and
  /// destroyed there, so no callback of theirs runs concurrently.
  void run(std::function<void()> f) {
    if (std::this_thread::get_id() == thread_.get_id()) {
      f();
      return;
    }
    auto task = new std::packaged_task<void()>(std::move(f));
    auto done = task->get_future();
    g_main_context_invoke_full(
      ctx_, G_PRIORITY_DEFAULT,
      [](gpointer p) -> gboolean {
        (*static_cast<std::packaged_task<void()>*>(p))();
        return G_SOURCE_REMOVE;
      },
      task, [](gpointer p) { delete static_cast<std::packaged_task<void()>*>(p); });
    done.wait();
  }

private:
  shared_loop() {
    ctx_ = g_main_context_new();
    loop_ = g_main_loop_new(ctx_, FALSE);
    thread_ = std::thread([this] {
      g_main_context_push_thread_default(ctx_);
      g_main_loop_run(loop_);
      g_main_context_pop_thread_default(ctx_);
    });
  }
  GMainContext* ctx_ = nullptr;
  GMainLoop* loop_ = nullptr;
  std::thread thread_;
};

} // namespace

struct nice_agent::state {
  std::shared_ptr<shared_loop> loop;
  NiceAgent* agent = nullptr;
  guint stream = 0;
  int event_fd = -1;
  std::mutex mtx;
  std::condition_variable changed;
  bool gathered = false;
  NiceComponentState component = NICE_COMPONENT_STATE_DISCONNECTED;
  std::deque<std::vector<uint8_t>> inbox;
};

namespace {

constexpr std::size_t max_queued = 4096;  // datagrams; past it the owner is not reading

void on_gathered(NiceAgent*, guint, gpointer user) {
  auto* s = static_cast<nice_agent::state*>(user);
  std::lock_guard<std::mutex> g(s->mtx);
  s->gathered = true;
  s->changed.notify_all();
}

void on_state(NiceAgent*, guint, guint, guint state, gpointer user) {
  auto* s = static_cast<nice_agent::state*>(user);
  std::lock_guard<std::mutex> g(s->mtx);
  s->component = static_cast<NiceComponentState>(state);
  s->changed.notify_all();
}

void on_recv(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer user) {
  auto* s = static_cast<nice_agent::state*>(user);
  {
    std::lock_guard<std::mutex> g(s->mtx);
    if (s->inbox.size() >= max_queued)
      return;
    auto* b = reinterpret_cast<const uint8_t*>(buf);
    s->inbox.emplace_back(b, b + len);
  }
  uint64_t one = 1;
  (void) ::write(s->event_fd, &one, sizeof(one));
}

} // namespace

std::unique_ptr<nice_agent> nice_agent::create(const std::string& local_ip,
                                               std::chrono::milliseconds timeout) {
  std::unique_ptr<nice_agent> a(new nice_agent());
  auto st = std::make_shared<state>();
  st->loop = shared_loop::get();
  st->event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  bool ok = false;
  st->loop->run([&] {
    st->agent = nice_agent_new(st->loop->context(), NICE_COMPATIBILITY_RFC5245);
    if (!st->agent)
      return;
    // Keepalives as connectivity checks: the consent an ICE-lite server
    // (RFC 7675) expires sessions without.
    g_object_set(st->agent, "controlling-mode", TRUE, "upnp", FALSE, "keepalive-conncheck",
                 TRUE, NULL);
    g_signal_connect(st->agent, "candidate-gathering-done", G_CALLBACK(on_gathered), st.get());
    g_signal_connect(st->agent, "component-state-changed", G_CALLBACK(on_state), st.get());
    NiceAddress local;
    nice_address_init(&local);
    if (!nice_address_set_from_string(&local, local_ip.c_str()))
      return;
    nice_agent_add_local_address(st->agent, &local);
    st->stream = nice_agent_add_stream(st->agent, 1);
    if (st->stream == 0)
      return;
    nice_agent_attach_recv(st->agent, st->stream, 1, st->loop->context(), on_recv, st.get());
    ok = nice_agent_gather_candidates(st->agent, st->stream);
  });
  a->st_ = st;  // from here the destructor cleans up
  if (!ok)
    return nullptr;
  {
    std::unique_lock<std::mutex> lock(st->mtx);
    if (!st->changed.wait_for(lock, timeout, [&] { return st->gathered; }))
      return nullptr;
  }
  st->loop->run([&] {
    gchar* ufrag = nullptr;
    gchar* pwd = nullptr;
    if (nice_agent_get_local_credentials(st->agent, st->stream, &ufrag, &pwd)) {
      a->ufrag_ = ufrag;
      a->pwd_ = pwd;
    }
    g_free(ufrag);
    g_free(pwd);
  });
  if (a->ufrag_.empty())
    return nullptr;
  return a;
}

nice_agent::~nice_agent() {
  if (!st_)
    return;
  // A raw pointer in the task: the last reference (and with it the shared
  // loop) must go on this thread, never on the loop's own.
  state* st = st_.get();
  st->loop->run([st] {
    if (st->agent) {
      if (st->stream)
        nice_agent_remove_stream(st->agent, st->stream);
      g_object_unref(st->agent);
      st->agent = nullptr;
    }
  });
  ::close(st->event_fd);
}

bool nice_agent::connect(const std::string& remote_ufrag, const std::string& remote_pwd,
                         const std::string& ip, uint16_t port, std::chrono::milliseconds timeout) {
  bool set = false;
  st_->loop->run([&] {
    nice_agent_set_remote_credentials(st_->agent, st_->stream, remote_ufrag.c_str(),
                                      remote_pwd.c_str());
    NiceCandidate* c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
    c->component_id = 1;
    c->stream_id = st_->stream;
    c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    c->priority = 2130706431;
    std::strncpy(c->foundation, "1", NICE_CANDIDATE_MAX_FOUNDATION - 1);
    if (nice_address_set_from_string(&c->addr, ip.c_str())) {
      nice_address_set_port(&c->addr, port);
      GSList* remote = g_slist_append(nullptr, c);
      set = nice_agent_set_remote_candidates(st_->agent, st_->stream, 1, remote) == 1;
      g_slist_free(remote);
    }
    nice_candidate_free(c);
  });
  if (!set)
    return false;
  std::unique_lock<std::mutex> lock(st_->mtx);
  return st_->changed.wait_for(lock, timeout, [&] {
    return st_->component == NICE_COMPONENT_STATE_READY
           || st_->component == NICE_COMPONENT_STATE_FAILED;
  }) && st_->component == NICE_COMPONENT_STATE_READY;
}

int nice_agent::fd() const {
  return st_->event_fd;
}

std::optional<std::vector<uint8_t>> nice_agent::recv(std::chrono::milliseconds timeout) {
  for (;;) {
    {
      std::lock_guard<std::mutex> g(st_->mtx);
      if (!st_->inbox.empty()) {
        auto d = std::move(st_->inbox.front());
        st_->inbox.pop_front();
        return d;
      }
      // Drained: clear the eventfd before waiting on it again.
      uint64_t v;
      (void) ::read(st_->event_fd, &v, sizeof(v));
    }
    pollfd p{st_->event_fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
      return std::nullopt;
    timeout = std::chrono::milliseconds(0);
  }
}

void nice_agent::send(const uint8_t* data, std::size_t size) {
  // libnice's send may be called from any thread.
  nice_agent_send(st_->agent, st_->stream, 1, static_cast<guint>(size),
                  reinterpret_cast<const gchar*>(data));
}

} // namespace lamplight::transport
