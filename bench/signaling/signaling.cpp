// lamplight-bench signaling: the control plane under load, in one process.
// Simulated clients speak the JSON mapping to gateway sessions through
// in-memory links (everything a node does except the socket): joins of N
// small groups of 1 teacher + 6 students, hand raise/lower round trips and
// calls from invite to connected. A raw CAF request/response echo runs in the
// same process as the baseline; the ratio says what lamplight's signaling
// costs over the actor engine itself.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include <boost/program_options.hpp>
#include <caf/all.hpp>

#include "actors/node/directory_actor.hpp"
#include "actors/node/gateway_session.hpp"
#include "actors/system_setup.hpp"
#include "actors/type_ids.hpp"
#include "protocol/codec.hpp"
#include "bench/signaling/signaling.hpp"

#include "bench/options.hpp"

namespace po = boost::program_options;
namespace sig = lamplight::signal::v1;
using namespace lamplight;
using clock_type = std::chrono::steady_clock;

namespace {

/// A client's socket: replies are matched to waiting requests, pushes are
/// counted and handed to a predicate (used to wait for call phases).
class bench_link : public actors::client_link {
public:
  void send(std::string frame, protocol::wire_format fmt) override {
    auto msg = protocol::decode_server(frame, fmt, protocol::codec_limits{1 << 24});
    if (!msg)
      return;
    std::lock_guard<std::mutex> guard(mtx_);
    if (msg->request_id() != 0) {
      auto i = waiting_.find(msg->request_id());
      if (i != waiting_.end()) {
        i->second.set_value(*msg);
        waiting_.erase(i);
      }
    } else {
      pushes_.push_back(*msg);
      cv_.notify_all();
    }
  }
  void close(std::string) override {}

  std::future<sig::ServerMessage> expect_reply(uint64_t rid) {
    std::lock_guard<std::mutex> guard(mtx_);
    return waiting_[rid].get_future();
  }

  template <class Pred>
  bool wait_push(Pred pred, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> guard(mtx_);
    return cv_.wait_for(guard, timeout, [&] {
      for (auto& m : pushes_)
        if (pred(m))
          return true;
      return false;
    });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::map<uint64_t, std::promise<sig::ServerMessage>> waiting_;
  std::vector<sig::ServerMessage> pushes_;
};

struct bench_client {
  std::shared_ptr<bench_link> link = std::make_shared<bench_link>();
  actors::gateway_session_actor session;
  uint64_t next = 1;

  std::future<sig::ServerMessage> send(sig::ClientMessage m) {
    m.set_request_id(next++);
    auto fut = link->expect_reply(m.request_id());
    caf::anon_send(session, atoms::frame::value,
                   protocol::encode_client(m, protocol::wire_format::json),
                   protocol::wire_format::json);
    return fut;
  }
};

struct stats {
  std::vector<double> ms;
  void add(clock_type::duration d) {
    ms.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  double pct(double p) {
    if (ms.empty())
      return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * ms.size()))];
  }
  void print(const char* what) {
    std::printf("  %-24s n=%-6zu p50 %8.3f ms  p95 %8.3f ms  p99 %8.3f ms  max %8.3f ms\n", what,
                ms.size(), pct(0.50), pct(0.95), pct(0.99), pct(1.0));
  }
};

bool wait_all(std::vector<std::future<sig::ServerMessage>>& futs, std::size_t* failures) {
  for (auto& f : futs) {
    if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
      return false;
    if (f.get().has_error())
      ++*failures;
  }
  return true;
}

using echo_actor = caf::typed_actor<caf::replies_to<uint64_t>::with<uint64_t>>;

echo_actor::behavior_type echo() {
  return {[](uint64_t x) { return x; }};
}

} // namespace

namespace lamplight::bench {

int run_signaling(int argc, char** argv) {
  int groups = 20;
  int rounds = 20;
  po::options_description opts("lamplight-bench signaling [options]");
  opts.add_options()("help,h", "help")("groups", po::value(&groups)->default_value(groups),
                                        "small groups (1 teacher + 6 students each)")(
    "rounds", po::value(&rounds)->default_value(rounds), "hand raise/lower rounds per student");
  po::variables_map vm;
  if (!parse_options(opts, argc, argv, vm))
    return 2;
  if (vm.count("help")) {
    std::printf("%s\n", (std::ostringstream{} << opts).str().c_str());
    return 0;
  }
  auto data = std::filesystem::temp_directory_path()
              / ("lamplight-bench-" + std::to_string(::getpid()));
  caf::actor_system_config cfg;
  actors::add_lamplight_types(cfg);
  cfg.set("scheduler.max-threads", 2);
  int rc = 0;
  {
    caf::actor_system sys{cfg};
    actors::directory_config dc;
    dc.data_dir = data;
    dc.token_secret = "bench-secret-0123456789abcdef";
    dc.flush_interval = std::chrono::seconds(1);
    auto dir = actors::spawn_directory(sys, dc);
    if (!dir) {
      std::fprintf(stderr, "cannot start: %s\n", sys.render(dir.error()).c_str());
      return 1;
    }
    actors::gateway_config gw;
    gw.token_secret = dc.token_secret;
    gw.directory = *dir;
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::vector<std::vector<bench_client>> rooms(static_cast<std::size_t>(groups));
    stats join_ms, hand_ms, call_ms;
    std::size_t failures = 0;
    auto t_start = clock_type::now();
    // Joins: the teacher first (it creates the classroom), then six students.
    for (int g = 0; g < groups; ++g) {
      for (int k = 0; k < 7; ++k) {
        bench_client c;
        c.session = actors::spawn_gateway_session(sys, c.link, gw);
        protocol::token_claims cl;
        cl.tenant = "bench";
        cl.classroom = "group-" + std::to_string(g);
        cl.identity = (k == 0 ? "t-" : "s-" + std::to_string(k) + "-") + std::to_string(g);
        cl.role = k == 0 ? sig::ROLE_TEACHER : sig::ROLE_STUDENT;
        cl.mode = k == 0 ? sig::MODE_SMALL_GROUP : sig::MODE_UNSPECIFIED;
        cl.expires_at = now_s + 3600;
        sig::ClientMessage m;
        m.mutable_join()->set_token(protocol::sign_token(cl, dc.token_secret));
        auto t0 = clock_type::now();
        auto r = c.send(m).get();
        join_ms.add(clock_type::now() - t0);
        if (!r.has_joined())
          ++failures;
        rooms[static_cast<std::size_t>(g)].push_back(std::move(c));
      }
    }
    // Hands: every student raises then lowers, all groups at once per round.
    auto t_hands = clock_type::now();
    std::size_t hand_requests = 0;
    for (int r = 0; r < rounds; ++r) {
      for (bool up : {true, false}) {
        std::vector<std::future<sig::ServerMessage>> futs;
        auto t0 = clock_type::now();
        for (auto& room : rooms)
          for (std::size_t k = 1; k < room.size(); ++k) {
            sig::ClientMessage m;
            if (up)
              m.mutable_raise_hand();
            else
              m.mutable_lower_hand();
            futs.push_back(room[k].send(m));
          }
        if (!wait_all(futs, &failures)) {
          std::fprintf(stderr, "requests did not complete\n");
          return 1;
        }
        hand_ms.add((clock_type::now() - t0) / static_cast<int>(std::max<std::size_t>(1, futs.size())));
        hand_requests += futs.size();
      }
    }
    auto hands_s = std::chrono::duration<double>(clock_type::now() - t_hands).count();
    // Calls: each teacher calls its first student, who accepts; both report
    // media ready; measured until the teacher sees connected.
    for (auto& room : rooms) {
      auto t0 = clock_type::now();
      sig::ClientMessage invite;
      auto g = &room - &rooms[0];
      invite.mutable_call_invite()->set_callee("s-1-" + std::to_string(g));
      auto r = room[0].send(invite).get();
      if (!r.has_call_invited()) {
        ++failures;
        continue;
      }
      auto id = r.call_invited().call_id();
      sig::ClientMessage acc;
      acc.mutable_call_accept()->set_call_id(id);
      room[1].send(acc).get();
      sig::ClientMessage ready;
      ready.mutable_call_media_ready()->set_call_id(id);
      room[1].send(ready).get();
      room[0].link->wait_push(
        [&](const sig::ServerMessage& m) {
          return m.has_call_update() && m.call_update().phase() == sig::CALL_PHASE_CONNECTING;
        },
        std::chrono::seconds(10));
      room[0].send(ready).get();
      if (!room[0].link->wait_push(
            [&](const sig::ServerMessage& m) {
              return m.has_call_update() && m.call_update().phase() == sig::CALL_PHASE_CONNECTED;
            },
            std::chrono::seconds(10)))
        ++failures;
      call_ms.add(clock_type::now() - t0);
    }
    auto total_s = std::chrono::duration<double>(clock_type::now() - t_start).count();
    // Baseline: raw CAF request/response round trips from a scoped actor.
    auto e = sys.spawn(echo);
    caf::scoped_actor self{sys};
    const int echoes = 20000;
    auto t_echo = clock_type::now();
    for (int i = 0; i < echoes; ++i)
      self->request(e, caf::infinite, uint64_t(i)).receive([](uint64_t) {}, [](caf::error&) {});
    auto echo_us = std::chrono::duration<double, std::micro>(clock_type::now() - t_echo).count()
                   / echoes;
    auto hand_rtt_us = hands_s * 1e6 / static_cast<double>(hand_requests);

    std::printf("lamplight-bench signaling: %d groups x 7 clients, %d hand rounds, %.2f s\n",
                groups, rounds, total_s);
    join_ms.print("join (token..snapshot)");
    hand_ms.print("hand request (per req)");
    call_ms.print("call invite..connected");
    std::printf("  hand requests: %zu in %.3f s = %.0f req/s (JSON decode, classroom, "
                "journal write, deltas to 7)\n",
                hand_requests, hands_s, static_cast<double>(hand_requests) / hands_s);
    std::printf("  baseline CAF request/response: %.2f us; lamplight hand request: %.2f us "
                "per request (ratio %.1fx)\n",
                echo_us, hand_rtt_us, hand_rtt_us / echo_us);
    std::printf("  failures: %zu\n", failures);
    rc = failures == 0 ? 0 : 1;
    caf::anon_send_exit(e, caf::exit_reason::user_shutdown);
    for (auto& room : rooms)
      for (auto& c : room)
        caf::anon_send_exit(c.session, caf::exit_reason::user_shutdown);
    self->request(*dir, std::chrono::seconds(10), atoms::shutdown::value)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
    caf::anon_send_exit(*dir, caf::exit_reason::user_shutdown);
  }
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
  return rc;
}

} // namespace lamplight::bench
