// janus_client against a real Janus (the videoroom plugin) in a network
// namespace of its own, reached over a veth pair (one case on plain
// loopback), and against a scripted fake for what a well-behaved Janus never
// sends (malformed frames, answers out of order). ctest label: janus.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <google/protobuf/util/json_util.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/support/janus_process.hpp"
#include "transport/janus_client.hpp"

using namespace lamplight;
using namespace lamplight::transport;
using namespace std::chrono_literals;
namespace pb = google::protobuf;

namespace {

pb::Struct json(const std::string& text) {
  pb::Struct s;
  BOOST_REQUIRE_MESSAGE(pb::util::JsonStringToMessage(text, &s).ok(), text);
  return s;
}

std::string str(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  return i == s.fields().end() ? "" : i->second.string_value();
}

double num(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  return i == s.fields().end() ? -1 : i->second.number_value();
}

long elapsed_ms(std::chrono::steady_clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - since)
                               .count());
}

bool boolean(const pb::Struct& s, const std::string& key) {
  auto i = s.fields().find(key);
  return i != s.fields().end() && i->second.bool_value();
}

std::string room_request(const char* request, uint64_t room, const std::string& extra = "") {
  return "{\"request\":\"" + std::string(request) + "\",\"room\":" + std::to_string(room) + extra +
         "}";
}

/// Collects on_event deliveries; waits for one with a bound.
struct event_log {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<janus_event> events;

  void operator()(const janus_event& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
    cv.notify_all();
  }

  std::optional<janus_event> wait_for(const std::string& kind, uint64_t handle,
                                      std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu);
    std::optional<janus_event> found;
    cv.wait_for(lock, timeout, [&] {
      for (auto& e : events)
        if (e.kind == kind && e.handle == handle)
          found = e;
      return found.has_value();
    });
    return found;
  }
};

struct janus_fixture {
  test::janus_process janus;
  event_log log;
  janus_client client;

  janus_fixture() {
    client.on_event([this](const janus_event& e) { log(e); });
    auto r = client.connect(janus.host, janus.ws_port);
    BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message) + "\n" + janus.log_tail());
  }

  uint64_t videoroom() {
    auto h = client.attach("janus.plugin.videoroom");
    BOOST_REQUIRE_MESSAGE(bool(h), (h ? "" : h.err().message));
    return *h;
  }

  janus_reply ok(uint64_t handle, const std::string& body) {
    auto r = client.message(handle, json(body));
    BOOST_REQUIRE_MESSAGE(bool(r), body + ": " + (r ? "" : r.err().message));
    return *r;
  }

  void create_room(uint64_t handle, uint64_t room) {
    auto r = ok(handle, room_request("create", room,
                                     ",\"publishers\":250,\"videocodec\":\"vp8\","
                                     "\"audiocodec\":\"opus\""));
    BOOST_REQUIRE_EQUAL(str(r.data, "videoroom"), "created");
    BOOST_REQUIRE_EQUAL(num(r.data, "room"), static_cast<double>(room));
  }
};

/// A publisher's offer as a browser would make it (opus + VP8, bundled,
/// trickle ICE, no candidates yet).
const char* publisher_offer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=msid-semantic: WMS lamp\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:lAmP\r\n"
    "a=ice-pwd:lamplightlamplightlamplight\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "DC:08:83:D7:22:1A:57:8B:C2:FC:C5:F6:17:F3:CC:7A:28:A8:27:0A:C9:A4:AA:"
    "E4:CB:37:0C:51:C0:4D:6D:6C\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sendonly\r\n"
    "a=msid:lamp audio0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=ssrc:1111 cname:lamp\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:lAmP\r\n"
    "a=ice-pwd:lamplightlamplightlamplight\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "DC:08:83:D7:22:1A:57:8B:C2:FC:C5:F6:17:F3:CC:7A:28:A8:27:0A:C9:A4:AA:"
    "E4:CB:37:0C:51:C0:4D:6D:6C\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=sendonly\r\n"
    "a=msid:lamp video0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=ssrc:2222 cname:lamp\r\n";

/// The IPv4 addresses of this (the test's, root) namespace's interfaces.
std::set<std::string> local_ipv4() {
  std::set<std::string> out;
  ifaddrs* list = nullptr;
  BOOST_REQUIRE_EQUAL(::getifaddrs(&list), 0);
  for (auto* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
      continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof(buf));
    out.insert(buf);
  }
  ::freeifaddrs(list);
  return out;
}

/// The connection address of each a=candidate line in `sdp`
/// ("a=candidate:<foundation> <component> <transport> <priority> <address> ...").
std::vector<std::string> candidate_addresses(const std::string& sdp) {
  std::vector<std::string> out;
  std::stringstream lines(sdp);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("a=candidate:", 0) != 0)
      continue;
    std::stringstream words(line);
    std::string foundation, component, transport, priority, address;
    words >> foundation >> component >> transport >> priority >> address;
    out.push_back(address);
  }
  return out;
}

/// A subscriber's answer to Janus's offer, as a lamp writes one: every
/// section with the offer's mid and first payload type, recvonly where the
/// offer sends and inactive where it does not, all on one transport.
std::string answer_to(const std::string& offer) {
  std::vector<std::vector<std::string>> sections;
  std::stringstream in(offer);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.rfind("m=", 0) == 0)
      sections.emplace_back();
    if (!sections.empty())
      sections.back().push_back(line);
  }
  auto attr = [](const std::vector<std::string>& sec, const std::string& name) {
    for (auto& l : sec)
      if (l.rfind("a=" + name, 0) == 0)
        return l;
    return std::string();
  };
  std::string body, bundle = "a=group:BUNDLE";
  for (auto& sec : sections) {
    std::stringstream m(sec.front());
    std::string kind, port, proto, pt;
    m >> kind >> port >> proto >> pt;
    auto mid = attr(sec, "mid:").substr(6);
    bundle += " " + mid;
    bool sends = !attr(sec, "sendonly").empty();
    body += kind + " 9 " + proto + " " + pt + "\r\nc=IN IP4 0.0.0.0\r\n" +
            "a=ice-ufrag:lAmP\r\na=ice-pwd:lamplightlamplightlamplight\r\n" +
            "a=fingerprint:sha-256 DC:08:83:D7:22:1A:57:8B:C2:FC:C5:F6:17:F3:CC:7A:28:A8:27:" +
            "0A:C9:A4:AA:E4:CB:37:0C:51:C0:4D:6D:6C\r\na=setup:active\r\na=mid:" + mid +
            "\r\na=" + (sends ? "recvonly" : "inactive") + "\r\na=rtcp-mux\r\n" +
            attr(sec, "rtpmap:" + pt + " ") + "\r\n";
  }
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + bundle + "\r\n" + body;
}

/// The direction attribute of the section with `mid` in `sdp`.
std::string direction_of(const std::string& sdp, const std::string& mid) {
  std::stringstream in(sdp);
  bool inside = false;
  std::string dir;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.rfind("m=", 0) == 0) {
      if (inside)
        break;
      dir.clear();
    }
    if (line == "a=sendonly" || line == "a=recvonly" || line == "a=sendrecv" || line == "a=inactive")
      dir = line.substr(2);
    if (line == "a=mid:" + mid)
      inside = true;
  }
  return inside ? dir : "";
}

std::size_t sections_in(const std::string& sdp) {
  std::size_t n = 0;
  for (std::size_t at = sdp.find("\nm="); at != std::string::npos; at = sdp.find("\nm=", at + 1))
    ++n;
  return n;
}

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = boost::asio::ip::tcp;
using fake_ws = websocket::stream<tcp::socket>;

pb::Struct read_request(fake_ws& ws) {
  beast::flat_buffer b;
  ws.read(b);
  pb::Struct s;
  pb::util::JsonStringToMessage(beast::buffers_to_string(b.data()), &s);
  return s;
}

void send(fake_ws& ws, const std::string& text) {
  ws.text(true);
  ws.write(boost::asio::buffer(text));
}

/// A scripted stand-in for Janus on loopback, for what the real one never
/// does on purpose: one connection, `script` plays its part, then it answers
/// "destroy" until the client goes.
struct fake_janus {
  boost::asio::io_context ioc;
  tcp::acceptor acceptor{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  std::thread thread;

  explicit fake_janus(std::function<void(fake_ws&)> script) {
    thread = std::thread([this, script = std::move(script)] {
      try {
        tcp::socket s(ioc);
        acceptor.accept(s);
        fake_ws ws(std::move(s));
        ws.set_option(websocket::stream_base::decorator([](websocket::response_type& r) {
          r.set(beast::http::field::sec_websocket_protocol, "janus-protocol");
        }));
        ws.accept();
        script(ws);
        for (;;) {
          auto req = read_request(ws);
          if (str(req, "janus") == "destroy")
            send(ws, "{\"janus\":\"success\",\"transaction\":\"" + str(req, "transaction") + "\"}");
        }
      } catch (const std::exception&) {
        // The client went away (or never came): the script is over.
      }
    });
  }
  ~fake_janus() {
    // Unblocks an accept() that no client will ever satisfy.
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    thread.join();
  }
  uint16_t port() const { return acceptor.local_endpoint().port(); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(janus_client_suite)

BOOST_AUTO_TEST_CASE(malformed_frames_and_any_order_against_a_fake) {
  auto reply = [](const std::string& kind, const std::string& tx, const std::string& rest) {
    return "{\"janus\":\"" + kind + "\",\"transaction\":\"" + tx + "\"" + rest + "}";
  };
  auto plugin = [](const std::string& data) {
    return ",\"sender\":88,\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\",\"data\":" + data +
           "}";
  };
  fake_janus fake([&](fake_ws& ws) {
    auto create = read_request(ws);
    for (const char* junk : {"not json", "[1,2,3]", "{\"janus\":42}", "{\"transaction\":\"t1\"}",
                             "{\"janus\":\"success\",\"transaction\":\"nobody\"}", "{\"janus\":"})
      send(ws, junk);
    send(ws, reply("success", str(create, "transaction"), ",\"data\":{\"id\":77}"));
    auto attach = read_request(ws);
    send(ws, reply("success", str(attach, "transaction"), ",\"data\":{\"id\":88}"));
    // Two messages in flight: answer the second first, the first's event
    // before its ack, and an unsolicited event in between.
    auto m1 = read_request(ws);
    auto m2 = read_request(ws);
    auto tx_of = [&](const char* which) {
      auto& m = str(m1.fields().at("body").struct_value(), "request") == which ? m1 : m2;
      return str(m, "transaction");
    };
    send(ws, reply("event", tx_of("b"),
                   plugin("{\"which\":\"b\"}") +
                       ",\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}"));
    send(ws, "{\"janus\":\"event\",\"sender\":88,\"plugindata\":{\"plugin\":\"x\",\"data\":{"
             "\"videoroom\":\"talking\"}}}");
    send(ws, reply("event", tx_of("a"), plugin("{\"which\":\"a\"}")));
    send(ws, reply("ack", tx_of("a"), ""));
    send(ws, reply("ack", tx_of("b"), ""));
    read_request(ws); // "never": no answer at all
    auto trickle = read_request(ws);
    send(ws, reply("ack", str(trickle, "transaction"), ""));
  });

  event_log log;
  janus_client c;
  c.on_event([&](const janus_event& e) { log(e); });
  auto r = c.connect("127.0.0.1", fake.port());
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_CHECK_EQUAL(c.session_id(), 77u);
  auto h = c.attach("janus.plugin.videoroom");
  BOOST_REQUIRE(h);
  BOOST_CHECK_EQUAL(*h, 88u);

  auto a =
      std::async(std::launch::async, [&] { return c.message(88, json("{\"request\":\"a\"}")); });
  auto b =
      std::async(std::launch::async, [&] { return c.message(88, json("{\"request\":\"b\"}")); });
  auto ra = a.get();
  auto rb = b.get();
  BOOST_REQUIRE(ra);
  BOOST_REQUIRE(rb);
  BOOST_CHECK_EQUAL(str(ra->data, "which"), "a");
  BOOST_CHECK(ra->jsep_type.empty());
  BOOST_CHECK_EQUAL(str(rb->data, "which"), "b");
  BOOST_CHECK_EQUAL(rb->jsep_type, "answer");
  BOOST_CHECK_EQUAL(rb->jsep_sdp, "v=0\r\n");
  auto e = log.wait_for("event", 88, 2s);
  BOOST_REQUIRE(e);
  BOOST_CHECK_EQUAL(
      str(e->message.fields().at("plugindata").struct_value().fields().at("data").struct_value(),
          "videoroom"),
      "talking");

  auto never = c.message(88, json("{\"request\":\"never\"}"), "", "", 300ms);
  BOOST_REQUIRE(!never);
  BOOST_CHECK(never.err().code == protocol::errc::timeout);
  auto done = c.trickle_completed(88);
  BOOST_CHECK_MESSAGE(bool(done), (done ? "" : done.err().message));
  BOOST_CHECK(c.connected());
  std::lock_guard<std::mutex> lock(log.mu);
  BOOST_CHECK_EQUAL(log.events.size(), 1u); // the junk and the late acks went nowhere
}

BOOST_FIXTURE_TEST_CASE(connect_creates_a_session, janus_fixture) {
  BOOST_CHECK(client.connected());
  BOOST_CHECK_NE(client.session_id(), 0u);
  auto again = client.connect(janus.host, janus.ws_port);
  BOOST_REQUIRE(!again);
  BOOST_CHECK(again.err().code == protocol::errc::wrong_state);
}

BOOST_AUTO_TEST_CASE(connect_to_a_closed_port_fails_at_once) {
  uint16_t port = 0;
  {
    // A port that was just free: nothing listens there now.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  janus_client c;
  auto start = std::chrono::steady_clock::now();
  auto r = c.connect("127.0.0.1", port, 3s);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == protocol::errc::unavailable);
  BOOST_CHECK_LT(elapsed_ms(start), 2000);
  BOOST_CHECK(!c.connected());
}

BOOST_FIXTURE_TEST_CASE(room_lifecycle, janus_fixture) {
  auto h = videoroom();
  BOOST_CHECK_NE(h, 0u);
  // A 16-digit id, as Janus picks them: it must go out as a JSON integer.
  const uint64_t room = 1234567890123450;
  create_room(h, room);

  auto exists = ok(h, room_request("exists", room));
  BOOST_CHECK_EQUAL(str(exists.data, "videoroom"), "success");
  BOOST_CHECK(boolean(exists.data, "exists"));

  auto list = ok(h, room_request("listparticipants", room));
  BOOST_CHECK_EQUAL(str(list.data, "videoroom"), "participants");
  BOOST_CHECK_EQUAL(num(list.data, "room"), static_cast<double>(room));
  BOOST_CHECK_EQUAL(list.data.fields().at("participants").list_value().values_size(), 0);

  auto destroyed = ok(h, room_request("destroy", room));
  BOOST_CHECK_EQUAL(str(destroyed.data, "videoroom"), "destroyed");
  BOOST_CHECK(!boolean(ok(h, room_request("exists", room)).data, "exists"));
}

BOOST_FIXTURE_TEST_CASE(refusals_carry_janus_reason, janus_fixture) {
  auto h = videoroom();
  // The plugin's refusal (asynchronous: ack, then an event with error_code).
  auto join = client.message(h, json(room_request("join", 987654, ",\"ptype\":\"publisher\"")));
  BOOST_REQUIRE(!join);
  BOOST_CHECK(join.err().code == protocol::errc::bad_request);
  BOOST_TEST_MESSAGE("join refusal: " << join.err().message);
  BOOST_CHECK_NE(join.err().message.find("No such room"), std::string::npos);
  BOOST_CHECK_NE(join.err().message.find("426"), std::string::npos);

  // A synchronous refusal: creating a room that exists.
  create_room(h, 4242);
  auto twice = client.message(h, json(room_request("create", 4242)));
  BOOST_REQUIRE(!twice);
  BOOST_CHECK(twice.err().code == protocol::errc::bad_request);
  BOOST_TEST_MESSAGE("create refusal: " << twice.err().message);
  BOOST_CHECK_NE(twice.err().message.find("already exists"), std::string::npos);

  // Janus core's refusal: a handle that does not exist.
  auto nohandle = client.message(h + 1, json(room_request("exists", 4242)));
  BOOST_REQUIRE(!nohandle);
  BOOST_CHECK(nohandle.err().code == protocol::errc::bad_request);
  BOOST_TEST_MESSAGE("core refusal: " << nohandle.err().message);
  BOOST_CHECK_NE(nohandle.err().message.find("No such handle"), std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(concurrent_messages_get_their_own_answers, janus_fixture) {
  auto h = videoroom();
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  for (int t = 0; t < threads; ++t)
    create_room(h, 5000 + static_cast<uint64_t>(t));
  std::atomic<int> right{0};
  std::vector<std::string> failures;
  std::mutex failures_mu;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        // Even: the thread's room (exists); odd: a room nobody created.
        uint64_t room = 5000 + static_cast<uint64_t>(t) + (i % 2 ? 100 : 0);
        auto r = client.message(h, json(room_request("exists", room)));
        if (r && num(r->data, "room") == static_cast<double>(room) &&
            boolean(r->data, "exists") == (i % 2 == 0)) {
          ++right;
        } else {
          std::lock_guard<std::mutex> lock(failures_mu);
          failures.push_back(r ? "wrong answer for room " + std::to_string(room) : r.err().message);
        }
      }
    });
  for (auto& th : pool)
    th.join();
  BOOST_CHECK_EQUAL(right.load(), threads * per_thread);
  for (auto& f : failures)
    BOOST_TEST_MESSAGE(f);
}

BOOST_FIXTURE_TEST_CASE(publisher_join_answers_with_joined, janus_fixture) {
  auto h = videoroom();
  create_room(h, 77);
  auto joined = ok(h, room_request("join", 77, ",\"ptype\":\"publisher\",\"display\":\"lamp\""));
  BOOST_CHECK_EQUAL(str(joined.data, "videoroom"), "joined");
  BOOST_CHECK_EQUAL(num(joined.data, "room"), 77.0);
  BOOST_CHECK_GT(num(joined.data, "id"), 0.0);
  BOOST_CHECK(joined.jsep_type.empty());

  auto list = ok(h, room_request("listparticipants", 77));
  BOOST_CHECK_EQUAL(list.data.fields().at("participants").list_value().values_size(), 1);
}

BOOST_FIXTURE_TEST_CASE(publisher_offer_gets_an_answer, janus_fixture) {
  auto h = videoroom();
  create_room(h, 78);
  ok(h, room_request("join", 78, ",\"ptype\":\"publisher\""));
  auto r = client.message(h, json("{\"request\":\"configure\",\"audio\":true,\"video\":true}"),
                          "offer", publisher_offer);
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_CHECK_EQUAL(str(r->data, "configured"), "ok");
  BOOST_CHECK_EQUAL(r->jsep_type, "answer");
  BOOST_CHECK_NE(r->jsep_sdp.find("m=video"), std::string::npos);
  BOOST_CHECK_NE(r->jsep_sdp.find("VP8"), std::string::npos);
  auto done = client.trickle_completed(h);
  BOOST_CHECK_MESSAGE(bool(done), (done ? "" : done.err().message));
  // Janus tears the PeerConnection down and says so on its own.
  client.hangup(h);
  BOOST_CHECK(log.wait_for("hangup", h, 5s));
}

BOOST_FIXTURE_TEST_CASE(answer_candidates_are_on_the_namespace_address, janus_fixture) {
  // Janus skips loopback interfaces when it gathers: only in its own
  // namespace does it have an address our lamps can reach.
  BOOST_REQUIRE(!janus.netns.empty());
  BOOST_CHECK(std::filesystem::exists("/run/netns/" + janus.netns));
  BOOST_CHECK_NE(janus.host, "127.0.0.1");
  BOOST_CHECK_EQUAL(janus.host.rfind("10.213.", 0), 0u);
  BOOST_CHECK_EQUAL(janus.peer_ip.rfind("10.213.", 0), 0u);
  BOOST_CHECK_NE(janus.peer_ip, janus.host);
  auto local = local_ipv4();
  BOOST_CHECK(local.count(janus.peer_ip));
  BOOST_CHECK(!local.count(janus.host));

  auto h = videoroom();
  create_room(h, 79);
  ok(h, room_request("join", 79, ",\"ptype\":\"publisher\""));
  auto r = client.message(h, json("{\"request\":\"publish\",\"audio\":true,\"video\":true}"),
                          "offer", publisher_offer);
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message));
  BOOST_REQUIRE_EQUAL(r->jsep_type, "answer");
  BOOST_TEST_MESSAGE("answer:\n" << r->jsep_sdp);
  auto addresses = candidate_addresses(r->jsep_sdp);
  BOOST_REQUIRE_MESSAGE(!addresses.empty(), "no a=candidate in the answer:\n" + r->jsep_sdp);
  for (auto& a : addresses) {
    BOOST_CHECK_EQUAL(a, janus.host);
    BOOST_CHECK_NE(a.rfind("127.", 0), 0u);
    // Nothing of this machine's own interfaces (eth0, the veth's root side).
    BOOST_CHECK_MESSAGE(!local.count(a), a + " is an address of the root namespace");
  }
  client.hangup(h);
}

BOOST_AUTO_TEST_CASE(namespace_and_veth_go_with_the_gateway) {
  std::string netns;
  std::string peer_ip;
  {
    test::janus_process janus;
    netns = janus.netns;
    peer_ip = janus.peer_ip;
    BOOST_REQUIRE(!netns.empty());
    BOOST_REQUIRE(local_ipv4().count(peer_ip));
    janus.kill9();
    BOOST_CHECK(!janus.running());
    // kill9 leaves the namespace to the destructor.
    BOOST_CHECK(std::filesystem::exists("/run/netns/" + netns));
  }
  BOOST_CHECK(!std::filesystem::exists("/run/netns/" + netns));
  BOOST_CHECK(!local_ipv4().count(peer_ip));
}

BOOST_AUTO_TEST_CASE(without_own_namespace_janus_is_on_loopback) {
  test::janus_options o;
  o.own_namespace = false;
  test::janus_process janus(o);
  BOOST_CHECK_EQUAL(janus.host, "127.0.0.1");
  BOOST_CHECK_EQUAL(janus.peer_ip, "127.0.0.1");
  BOOST_CHECK(janus.netns.empty());
  janus_client c;
  auto r = c.connect(janus.host, janus.ws_port);
  BOOST_REQUIRE_MESSAGE(bool(r), (r ? "" : r.err().message) + "\n" + janus.log_tail());
  auto h = c.attach("janus.plugin.videoroom");
  BOOST_REQUIRE(h);
  auto created = c.message(*h, json(room_request("create", 80)));
  BOOST_REQUIRE_MESSAGE(bool(created), (created ? "" : created.err().message));
  BOOST_CHECK_EQUAL(str(created->data, "videoroom"), "created");
}

BOOST_FIXTURE_TEST_CASE(detach_is_reported_as_an_event, janus_fixture) {
  auto h = videoroom();
  client.detach(h);
  auto e = log.wait_for("detached", h, 5s);
  BOOST_REQUIRE(e);
  BOOST_CHECK_EQUAL(num(e->message, "session_id"), static_cast<double>(client.session_id()));
  // The handle is gone for Janus too.
  auto r = client.message(h, json(room_request("exists", 1)));
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == protocol::errc::bad_request);
}

BOOST_FIXTURE_TEST_CASE(killed_janus_fails_calls_promptly, janus_fixture) {
  auto h = videoroom();
  // Frozen first, so the call below is surely still waiting when it dies.
  BOOST_REQUIRE_EQUAL(::kill(janus.pid(), SIGSTOP), 0);
  auto pending = std::async(std::launch::async, [&] {
    return client.message(h, json(room_request("exists", 1)), "", "", 20s);
  });
  BOOST_REQUIRE(pending.wait_for(300ms) == std::future_status::timeout);
  auto killed = std::chrono::steady_clock::now();
  janus.kill9();
  BOOST_REQUIRE(pending.wait_for(3s) == std::future_status::ready);
  auto r = pending.get();
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.err().code == protocol::errc::unavailable);
  BOOST_TEST_MESSAGE("pending call: " << r.err().message << " after " << elapsed_ms(killed)
                                      << " ms");
  BOOST_CHECK(!client.connected());

  auto next = client.message(h, json(room_request("exists", 1)), "", "", 20s);
  BOOST_REQUIRE(!next);
  BOOST_CHECK(next.err().code == protocol::errc::unavailable);
  BOOST_CHECK(!client.attach("janus.plugin.videoroom", 20s));
  BOOST_CHECK(!client.trickle_completed(h, 20s));
  client.hangup(h);
  client.detach(h);
}

BOOST_AUTO_TEST_CASE(destructor_is_bounded_when_janus_is_gone) {
  test::janus_process janus;
  {
    auto c = std::make_unique<janus_client>();
    BOOST_REQUIRE(c->connect(janus.host, janus.ws_port));
    BOOST_REQUIRE(c->attach("janus.plugin.videoroom"));
    janus.kill9();
    auto start = std::chrono::steady_clock::now();
    c.reset();
    BOOST_CHECK_LT(elapsed_ms(start), 3000);
  }
  {
    // Alive but not answering: destroy and close each wait only briefly.
    test::janus_process frozen;
    auto c = std::make_unique<janus_client>();
    BOOST_REQUIRE(c->connect(frozen.host, frozen.ws_port));
    BOOST_REQUIRE_EQUAL(::kill(frozen.pid(), SIGSTOP), 0);
    auto start = std::chrono::steady_clock::now();
    c.reset();
    BOOST_CHECK_LT(elapsed_ms(start), 5000);
    frozen.kill9();
  }
}

// -- VideoRoom multistream ----------------------------------------------------

BOOST_AUTO_TEST_CASE(videoroom_streams_read_both_kinds_of_list) {
  // A subscriber's "updated": one section fed, one left inactive.
  auto sub = json(R"({"videoroom":"updated","room":7,"streams":[
      {"type":"audio","active":true,"mindex":0,"mid":"0","ready":false,"send":true,
       "feed_id":4242,"feed_mid":"0","codec":"opus"},
      {"type":"video","active":false,"mindex":1,"mid":"1","ready":false,"send":true}]})");
  auto s = videoroom_streams(sub);
  BOOST_REQUIRE_EQUAL(s.size(), 2u);
  BOOST_CHECK_EQUAL(s[0].mid, "0");
  BOOST_CHECK_EQUAL(s[0].type, "audio");
  BOOST_CHECK(s[0].active);
  BOOST_CHECK_EQUAL(s[0].feed_id, 4242u);
  BOOST_CHECK_EQUAL(s[0].feed_mid, "0");
  BOOST_CHECK_EQUAL(s[1].mid, "1");
  BOOST_CHECK(!s[1].active);
  BOOST_CHECK_EQUAL(s[1].feed_id, 0u);
  // A publisher's answer: no "active"; a disabled stream says so.
  auto pub = json(R"({"videoroom":"event","configured":"ok","streams":[
      {"type":"video","mindex":0,"mid":"v","codec":"vp8"},
      {"type":"data","mindex":1,"mid":"d"},
      {"type":"audio","mindex":2,"mid":"a","disabled":true}]})");
  auto p = videoroom_streams(pub);
  BOOST_REQUIRE_EQUAL(p.size(), 3u);
  BOOST_CHECK(p[0].active && !p[0].disabled);
  BOOST_CHECK_EQUAL(p[1].type, "data");
  BOOST_CHECK(p[2].disabled);
  BOOST_CHECK(videoroom_streams(json(R"({"videoroom":"event","started":"ok"})")).empty());
}

BOOST_AUTO_TEST_CASE(named_sections_are_the_active_media_of_named_feeds) {
  std::vector<videoroom_stream> streams{
    {"0", "audio", true, false, 11, "0"},  // feed 11's microphone
    {"1", "video", false, false, 0, ""},   // inactive: its publisher left
    {"2", "video", true, false, 22, "1"},  // feed 22, named by feed only
    {"3", "data", true, false, 11, "5"},   // data: never a track
    {"4", "video", true, false, 33, "0"},  // nobody we know
    {"5", "video", true, false, 11, "7"},  // feed 11, another stream: unnamed
  };
  std::map<std::pair<uint64_t, std::string>, std::string> names{
    {{11, "0"}, "t/mic"}, {{22, ""}, "t/face"}, {{44, "0"}, "t/gone"}};
  auto out = named_sections(streams, names);
  std::vector<std::pair<std::string, std::string>> want{{"0", "t/mic"}, {"2", "t/face"}};
  BOOST_CHECK(out == want);
  BOOST_CHECK(named_sections({}, names).empty());
}

BOOST_FIXTURE_TEST_CASE(one_subscriber_handle_renegotiates_as_streams_come_and_go, janus_fixture) {
  // What the Janus provider's subscribe sessions rely on, against Janus's
  // dummy publisher (always "up", no ICE needed): one handle, a join with a
  // streams list, "update" renegotiations answered with "start", sections
  // left inactive and taken over, "configure" by mid, and the postponed
  // "updating" while an offer waits (why we never update then).
  auto ctl = videoroom();
  auto r = ok(ctl, room_request("create", 91,
                                ",\"publishers\":10,\"videocodec\":\"vp8\",\"audiocodec\":\"opus\","
                                "\"dummy_publisher\":true"));
  BOOST_REQUIRE_EQUAL(str(r.data, "videoroom"), "created");
  uint64_t dummy = 0;
  auto listed = ok(ctl, room_request("listparticipants", 91));
  for (auto& p : listed.data.fields().at("participants").list_value().values())
    if (boolean(p.struct_value(), "dummy"))
      dummy = static_cast<uint64_t>(num(p.struct_value(), "id"));
  BOOST_REQUIRE_NE(dummy, 0u);
  auto feed = std::to_string(dummy);
  // The dummy publisher's streams: opus at mid 0, VP8 at mid 1.
  std::map<std::pair<uint64_t, std::string>, std::string> names{{{dummy, "0"}, "mic"},
                                                                {{dummy, "1"}, "cam"}};
  auto sub = videoroom();
  auto joined = ok(sub, room_request("join", 91,
                                     ",\"ptype\":\"subscriber\",\"autoupdate\":false,"
                                     "\"streams\":[{\"feed\":" + feed + ",\"mid\":\"0\"}]"));
  BOOST_CHECK_EQUAL(str(joined.data, "videoroom"), "attached");
  BOOST_REQUIRE_EQUAL(joined.jsep_type, "offer");
  using sections = std::vector<std::pair<std::string, std::string>>;
  BOOST_CHECK(named_sections(videoroom_streams(joined.data), names) == (sections{{"0", "mic"}}));
  auto started = client.message(sub, json(R"({"request":"start"})"), "answer",
                                answer_to(joined.jsep_sdp));
  BOOST_REQUIRE_MESSAGE(bool(started), (started ? "" : started.err().message));
  BOOST_CHECK_EQUAL(str(started->data, "started"), "ok");

  auto added = ok(sub, "{\"request\":\"update\",\"subscribe\":[{\"feed\":" + feed +
                          ",\"mid\":\"1\",\"substream\":0}]}");
  BOOST_CHECK_EQUAL(str(added.data, "videoroom"), "updated");
  BOOST_REQUIRE_EQUAL(added.jsep_type, "offer");
  BOOST_CHECK(named_sections(videoroom_streams(added.data), names) ==
              (sections{{"0", "mic"}, {"1", "cam"}}));
  BOOST_REQUIRE(client.message(sub, json(R"({"request":"start"})"), "answer",
                               answer_to(added.jsep_sdp)));

  auto removed = ok(sub, R"({"request":"update","unsubscribe":[{"sub_mid":"0"}]})");
  BOOST_REQUIRE_EQUAL(removed.jsep_type, "offer");
  BOOST_CHECK(named_sections(videoroom_streams(removed.data), names) == (sections{{"1", "cam"}}));
  BOOST_CHECK_EQUAL(direction_of(removed.jsep_sdp, "0"), "inactive");
  BOOST_CHECK_EQUAL(direction_of(removed.jsep_sdp, "1"), "sendonly");
  BOOST_REQUIRE(client.message(sub, json(R"({"request":"start"})"), "answer",
                               answer_to(removed.jsep_sdp)));

  // A stream of the same kind takes the inactive section over.
  auto back = ok(sub, "{\"request\":\"update\",\"subscribe\":[{\"feed\":" + feed +
                         ",\"mid\":\"0\"}]}");
  BOOST_REQUIRE_EQUAL(back.jsep_type, "offer");
  BOOST_CHECK_EQUAL(sections_in(back.jsep_sdp), 2u);
  BOOST_CHECK(named_sections(videoroom_streams(back.data), names) ==
              (sections{{"0", "mic"}, {"1", "cam"}}));
  BOOST_CHECK_EQUAL(direction_of(back.jsep_sdp, "0"), "sendonly");

  // A layer or a pause by our section's mid: no renegotiation, also while
  // an offer waits.
  auto layer = ok(sub, R"({"request":"configure","streams":[{"mid":"1","substream":1}]})");
  BOOST_CHECK_EQUAL(str(layer.data, "configured"), "ok");
  BOOST_CHECK(layer.jsep_type.empty());
  auto paused = ok(sub, R"({"request":"configure","streams":[{"mid":"0","send":false}]})");
  BOOST_CHECK(paused.jsep_type.empty());

  // An update while that offer waits is postponed, and Janus would offer
  // later on its own: the provider keeps changes until the answer instead.
  auto waiting = ok(sub, R"({"request":"update","unsubscribe":[{"sub_mid":"1"}]})");
  BOOST_CHECK_EQUAL(str(waiting.data, "videoroom"), "updating");
  BOOST_CHECK(waiting.jsep_type.empty());
}

BOOST_AUTO_TEST_SUITE_END()
