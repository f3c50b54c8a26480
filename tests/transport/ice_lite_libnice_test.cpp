// Our ICE-lite against a real full ICE agent: libnice 0.1.21 as the
// controlling side (as a lamp behind NAT would run it), on loopback.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <nice/agent.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/ice_lite.hpp"
#include "transport/stun_message.hpp"

using namespace lamplight::transport;

namespace {

/// One UDP port on loopback served by ice_lite, in its own thread.
class lite_port {
public:
  lite_port() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~lite_port() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

  std::optional<ice_lite::session_id> add(const std::string& ufrag, const std::string& pwd,
                                          const std::string& remote) {
    std::lock_guard<std::mutex> guard(mtx_);
    return agent_.add_session(ufrag, pwd, remote);
  }
  std::vector<std::pair<ice_lite::session_id, std::string>> app_data() {
    std::lock_guard<std::mutex> guard(mtx_);
    return app_;
  }
  bool nominated() const { return nominated_; }
  ice_lite::counters stats() {
    std::lock_guard<std::mutex> guard(mtx_);
    return agent_.stats();
  }

private:
  void loop() {
    uint8_t buf[2048];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0)
        continue;
      sockaddr_storage from{};
      socklen_t len = sizeof(from);
      auto n = ::recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0)
        continue;
      std::lock_guard<std::mutex> guard(mtx_);
      auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
                   .count();
      if (stun_message::is_stun(buf, static_cast<std::size_t>(n))) {
        auto v = agent_.on_stun(buf, static_cast<std::size_t>(n), from, now);
        if (v.nominated)
          nominated_ = true;
        if (!v.response.empty())
          ::sendto(fd_, v.response.data(), v.response.size(), 0,
                   reinterpret_cast<sockaddr*>(&from), len);
      } else if (auto s = agent_.route(from)) {
        app_.emplace_back(*s, std::string(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n)));
      }
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> nominated_{false};
  std::thread thread_;
  std::mutex mtx_;
  ice_lite agent_;
  std::vector<std::pair<ice_lite::session_id, std::string>> app_;
};

struct nice_state {
  NiceComponentState state = NICE_COMPONENT_STATE_DISCONNECTED;
  bool gathered = false;
};

void on_state(NiceAgent*, guint, guint, guint state, gpointer user) {
  static_cast<nice_state*>(user)->state = static_cast<NiceComponentState>(state);
}

void on_gathered(NiceAgent*, guint, gpointer user) {
  static_cast<nice_state*>(user)->gathered = true;
}

void on_recv(NiceAgent*, guint, guint, guint, gchar*, gpointer) {}

/// Iterates the context (blocking on its events) until `done` or a
/// deadline. A 20 ms tick source wakes it so the deadline is always seen.
template <class Pred>
bool iterate_until(GMainContext* ctx, Pred done, std::chrono::seconds timeout) {
  GSource* tick = g_timeout_source_new(20);
  g_source_set_callback(
    tick, [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
  g_source_attach(tick, ctx);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ok = false;
      break;
    }
    g_main_context_iteration(ctx, TRUE);
  }
  g_source_destroy(tick);
  g_source_unref(tick);
  return ok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ice_lite_libnice)

BOOST_AUTO_TEST_CASE(libnice_full_agent_connects_and_sends) {
  lite_port lite;
  GMainContext* ctx = g_main_context_new();
  NiceAgent* agent = nice_agent_new(ctx, NICE_COMPATIBILITY_RFC5245);
  g_object_set(agent, "controlling-mode", TRUE, "upnp", FALSE, NULL);
  nice_state st;
  g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state), &st);
  g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(on_gathered), &st);
  NiceAddress local;
  nice_address_init(&local);
  nice_address_set_from_string(&local, "127.0.0.1");
  nice_agent_add_local_address(agent, &local);
  guint stream = nice_agent_add_stream(agent, 1);
  nice_agent_attach_recv(agent, stream, 1, ctx, on_recv, nullptr);
  BOOST_REQUIRE(nice_agent_gather_candidates(agent, stream));
  BOOST_REQUIRE(iterate_until(ctx, [&] { return st.gathered; }, std::chrono::seconds(10)));

  gchar* their_ufrag = nullptr;
  gchar* their_pwd = nullptr;
  nice_agent_get_local_credentials(agent, stream, &their_ufrag, &their_pwd);
  auto our_ufrag = random_ice_string(4);
  auto our_pwd = random_ice_string(22);
  auto session = lite.add(our_ufrag, our_pwd, their_ufrag);
  BOOST_REQUIRE(session.has_value());
  g_free(their_ufrag);
  g_free(their_pwd);
  nice_agent_set_remote_credentials(agent, stream, our_ufrag.c_str(), our_pwd.c_str());
  NiceCandidate* c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
  c->component_id = 1;
  c->stream_id = stream;
  c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
  c->priority = 2130706431;
  std::strncpy(c->foundation, "1", NICE_CANDIDATE_MAX_FOUNDATION - 1);
  nice_address_set_from_string(&c->addr, "127.0.0.1");
  nice_address_set_port(&c->addr, lite.port());
  GSList* remote = g_slist_append(nullptr, c);
  BOOST_REQUIRE(nice_agent_set_remote_candidates(agent, stream, 1, remote) == 1);
  g_slist_free_full(remote, reinterpret_cast<GDestroyNotify>(nice_candidate_free));

  BOOST_TEST(iterate_until(
    ctx, [&] { return st.state == NICE_COMPONENT_STATE_READY; }, std::chrono::seconds(15)));
  BOOST_TEST(lite.nominated());
  // Application data (DTLS later) from the checked tuple is routed to it.
  const char hello[] = "\x16hello";  // first byte 22: what DTLS would send
  BOOST_TEST(nice_agent_send(agent, stream, 1, sizeof(hello) - 1, hello) > 0);
  BOOST_TEST(iterate_until(
    ctx, [&] { return !lite.app_data().empty(); }, std::chrono::seconds(5)));
  auto data = lite.app_data();
  BOOST_REQUIRE(!data.empty());
  BOOST_TEST(data[0].first == *session);
  BOOST_TEST(data[0].second == std::string(hello, sizeof(hello) - 1));
  BOOST_TEST(lite.stats().bad_integrity == 0u);

  nice_agent_remove_stream(agent, stream);
  g_object_unref(agent);
  g_main_context_unref(ctx);
}

BOOST_AUTO_TEST_SUITE_END()
