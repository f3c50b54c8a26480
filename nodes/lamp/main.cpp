// lamplight-lamp: one simulated desk lamp, for demos and for trying the
// teacher console without hardware. It joins a classroom as a student,
// publishes its microphone and both cameras (real VP8/Opus with frame
// stamps), answers calls (watching the caller's tracks), and carries out
// the teacher's device commands: a homework photo from the desk camera
// (a rendered page, a real JPEG, uploaded over its data channel), camera
// and screen switches. Ctrl-C leaves the classroom.
#include <atomic>
#include <csignal>
#include <fstream>
#include <random>
#include <iostream>
#include <thread>

#include <boost/program_options.hpp>

#include "media/lamp/lamp_device.hpp"
#include "protocol/device_credential.hpp"
#include "transport/http_util.hpp"
#include "transport/websocket_client.hpp"

using namespace lamplight;
using namespace std::chrono_literals;
namespace po = boost::program_options;
namespace sig = signal::v1;

namespace {

std::atomic<bool> stopping{false};

void on_signal(int) { stopping = true; }


} // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", token, tenant = "demo", classroom = "c1", identity = "lamp-1",
              name, answer = "accept", serial, secret_file;
  uint16_t port = 7443;
  int seconds = 0;
  po::options_description opts("lamplight-lamp: a simulated desk lamp (a student's)");
  // clang-format off
  opts.add_options()
    ("help,h", "show this help")
    ("host", po::value(&host)->default_value(host), "the node's address")
    ("port", po::value(&port)->default_value(port), "the node's HTTP/WebSocket port")
    ("token", po::value(&token), "join token (default: ask the node's /dev/token for one)")
    ("serial", po::value(&serial), "sign in as this registered lamp (with --tenant, --classroom and "
                                   "--device-secret-file) instead of a token")
    ("device-secret-file", po::value(&secret_file), "the lamp's device secret (POST /api/v1/lamps)")
    ("tenant", po::value(&tenant)->default_value(tenant), "for the dev token")
    ("classroom", po::value(&classroom)->default_value(classroom), "for the dev token")
    ("identity", po::value(&identity)->default_value(identity), "for the dev token")
    ("name", po::value(&name), "display name (for the dev token)")
    ("answer", po::value(&answer)->default_value(answer), "calls: accept | reject | ignore")
    ("seconds", po::value(&seconds)->default_value(seconds), "leave after this long (0: at Ctrl-C)");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "lamplight-lamp: " << e.what() << " (try --help)" << std::endl;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << std::endl;
    return 0;
  }
  media::lamp::device_policy policy;
  if (answer == "reject")
    policy.answer = media::lamp::device_policy::calls::reject;
  else if (answer == "ignore")
    policy.answer = media::lamp::device_policy::calls::ignore;
  else if (answer != "accept") {
    std::cerr << "lamplight-lamp: --answer is accept, reject or ignore" << std::endl;
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  // A registered lamp signs each join itself, with a fresh time and nonce.
  std::string device_secret;
  if (!serial.empty()) {
    std::ifstream in(secret_file);
    if (!(in >> device_secret)) {
      std::cerr << "lamplight-lamp: --serial needs --device-secret-file with the lamp's secret"
                << std::endl;
      return 2;
    }
  }
  auto make_join = [&] {
    sig::Join j;
    if (serial.empty()) {
      j.set_token(token);
      return j;
    }
    std::random_device rd;
    std::string nonce;
    for (int i = 0; i < 32; ++i)
      nonce += "0123456789abcdef"[rd() % 16];
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    *j.mutable_device() =
      protocol::sign_device_login(tenant, serial, classroom, device_secret, now_s, nonce);
    j.set_display_name(name);
    return j;
  };
  if (token.empty() && serial.empty()) {
    auto r = transport::http_get(host, port,
                                 "/dev/token?tenant=" + transport::percent_encode(tenant) + "&classroom="
                                   + transport::percent_encode(classroom) + "&identity=" + transport::percent_encode(identity)
                                   + "&role=student&name=" + transport::percent_encode(name.empty() ? identity : name));
    if (r.status != 200) {
      std::cerr << "lamplight-lamp: no dev token from " << host << ":" << port << " ("
                << (r.status ? r.body : "no answer") << "); pass --token" << std::endl;
      return 1;
    }
    token = r.body;
  }
  auto media = media::lamp::lamp_media::make(150);
  if (!media) {
    std::cerr << "lamplight-lamp: " << media.err().message << std::endl;
    return 1;
  }
  media::lamp::lamp_options o;
  o.host = host;
  o.port = port;
  // A lamp may be switched on before the teacher opened the classroom: it
  // keeps trying, as a lamp would (each try on a new connection: the node
  // closes one whose join failed).
  auto client = std::make_unique<media::lamp::lamp_client>(*media, o);
  auto joined = client->join(make_join());
  bool said = false;
  while (!joined && joined.err().code == protocol::errc::classroom_not_found && !stopping) {
    if (!said)
      std::cout << "lamplight-lamp: waiting for the teacher to open " << classroom << std::endl;
    said = true;
    std::this_thread::sleep_for(1s);
    client = std::make_unique<media::lamp::lamp_client>(*media, o);
    joined = client->join(make_join());
  }
  if (!joined) {
    std::cerr << "lamplight-lamp: join: " << joined.err().message << std::endl;
    return 1;
  }
  auto& lamp = *client;
  std::cout << "lamplight-lamp: joined " << joined->snapshot().classroom_id() << " as "
            << joined->identity() << std::endl;
  for (auto s : {sig::TRACK_SOURCE_MICROPHONE, sig::TRACK_SOURCE_FACE_CAMERA,
                 sig::TRACK_SOURCE_DESK_CAMERA}) {
    auto t = lamp.publish(s);
    if (!t) {
      std::cerr << "lamplight-lamp: publish " << sig::TrackSource_Name(s) << ": "
                << t.err().message << std::endl;
      return 1;
    }
    std::cout << "lamplight-lamp: publishing " << sig::TrackSource_Name(s) << " as " << *t
              << std::endl;
  }
  media::lamp::lamp_device device(lamp, joined->identity(), policy);
  device.mark_published();
  std::cout << "READY" << std::endl;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto last_report = std::chrono::steady_clock::now();
  while (!stopping && (seconds == 0 || std::chrono::steady_clock::now() < until)) {
    if (auto line = device.step(200ms); line && !line->empty())
      std::cout << "lamplight-lamp: " << *line << std::endl;
    if (std::chrono::steady_clock::now() - last_report > 5s) {
      last_report = std::chrono::steady_clock::now();
      for (const auto& leg : lamp.report())
        if (!leg.publishing)
          std::cout << "lamplight-lamp: watching " << leg.track_id << ": "
                    << leg.received.frames_decoded << " frames decoded" << std::endl;
    }
  }
  lamp.close();
  std::cout << "lamplight-lamp: left" << std::endl;
  return 0;
}
