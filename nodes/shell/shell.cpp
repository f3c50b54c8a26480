#include "nodes/shell/shell.hpp"

#include <sstream>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <google/protobuf/util/json_util.h>

#include "actors/base/errors.hpp"
#include "nodes/shell/json_match.hpp"
#include "protocol/codec.hpp"
#include "protocol/token.hpp"

namespace lamplight::shell {

namespace {

constexpr const char* help_text = R"(commands (one per line; # starts a comment):
  connect <host:port>                      connect to a node's shell port
  status | list [tenant]                   node status, classrooms
  create <tenant>/<classroom> <mode>       one_on_one | small_group | large_class
  close <tenant>/<classroom>               close it (everyone is kicked)
  snapshot <tenant>/<classroom> [viewer]   print the state (as viewer sees it)
  watch <tenant>/<classroom>               print every event from now on
  bot <name> <tenant>/<classroom> <role> [mode=..] [child=..] [answer=accept|reject|ignore]
      [answer_delay=ms] [device=done|fail|ignore] [device_delay=ms]
                                           a scripted participant joins
  send <bot> <json ClientMessage>          any signaling message, as JSON
  call <bot> <callee> | accept|reject|cancel|hangup|ready <bot>
  raise|lower <bot> | take|dismiss <bot> [student]
  camera <bot> <target> face|desk [deadline_ms]
  screen <bot> <target> whiteboard|video [deadline_ms]
  photo <bot> <target> <W>x<H> [deadline_ms]
  draw <bot> <stroke_id> x0 y0 x1 y1 ...   | leave <bot>
  expect <bot> <json>                      wait for a message containing json
  expect-error <bot> <ERROR_CODE>          wait for an error reply with that code
  set ring|media|grace|expect <duration>   e.g. set ring 2s (bots made afterwards)
  sleep <duration> | echo <text> | help | quit)";

std::string full_json(const sig::ServerMessage& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true; // so patterns can match defaults
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string key_value(const std::vector<std::string>& args, std::size_t from,
                      const std::string& key, const std::string& fallback = "") {
  for (auto i = from; i < args.size(); ++i)
    if (args[i].rfind(key + "=", 0) == 0)
      return args[i].substr(key.size() + 1);
  return fallback;
}

actors::session_actor::behavior_type watch_session(std::shared_ptr<printer> out,
                                                   std::string label) {
  return {
      [=](atoms::push, const sig::ServerMessage& m) {
        out->line("[watch " + label + "] " + to_json(m));
      },
      [=](atoms::kick, const sig::Error& e) {
        out->line("[watch " + label + "] closed: " + e.message());
      },
  };
}

} // namespace

const char* to_string(outcome x) {
  switch (x) {
  case outcome::ok:
    return "ok";
  case outcome::failed:
    return "failed";
  case outcome::error:
    return "error";
  case outcome::quit:
    return "quit";
  }
  return "unknown";
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
      ++i;
    if (i >= line.size())
      break;
    if (line[i] == '{' || line[i] == '[') {
      auto end = line.find_last_not_of(" \t\r\n");
      out.push_back(line.substr(i, end + 1 - i));
      break;
    }
    if (line[i] == '"') {
      auto end = line.find('"', i + 1);
      if (end == std::string::npos)
        end = line.size();
      out.push_back(line.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    auto start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
      ++i;
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (n < 0)
    return std::nullopt;
  auto unit = text.substr(used);
  if (unit.empty() || unit == "ms")
    return std::chrono::milliseconds(n);
  if (unit == "s")
    return std::chrono::milliseconds(n * 1000);
  return std::nullopt;
}

shell::shell(caf::actor_system& sys, std::shared_ptr<printer> out)
    : sys_(sys), out_(std::move(out)) {}

shell::~shell() {
  for (auto& [name, b] : bots_) {
    caf::anon_send_exit(b.participant, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(b.bot, caf::exit_reason::user_shutdown);
  }
  for (auto& w : watchers_)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

outcome shell::error(const std::string& message) {
  out_->line("error: " + message);
  return outcome::error;
}

outcome shell::connect(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return error("address must be host:port");
  uint16_t port = 0;
  try {
    port = static_cast<uint16_t>(std::stoul(address.substr(colon + 1)));
  } catch (...) {
    return error("bad port in " + address);
  }
  auto dir = sys_.middleman().remote_actor<actors::directory_actor>(address.substr(0, colon), port);
  if (!dir)
    return error("cannot connect to " + address + ": " + sys_.render(dir.error()));
  directory_ = *dir;
  out_->line("connected to " + address);
  return outcome::ok;
}

shell::bot_entry* shell::find_bot(const std::string& name) {
  auto i = bots_.find(name);
  return i == bots_.end() ? nullptr : &i->second;
}

caf::expected<actors::classroom_actor> shell::lookup(const std::string& path) {
  auto slash = path.find('/');
  if (slash == std::string::npos)
    return actors::make_error(protocol::errc::bad_request, "expected <tenant>/<classroom>");
  caf::scoped_actor self{sys_};
  caf::expected<actors::classroom_actor> out{caf::error{}};
  self->request(directory_, request_timeout_, atoms::lookup::value, path.substr(0, slash),
                path.substr(slash + 1))
      .receive([&](const actors::classroom_actor& c) { out = c; },
               [&](caf::error& e) { out = std::move(e); });
  return out;
}

outcome shell::run(const std::string& raw) {
  auto args = split_words(raw);
  if (args.empty() || args[0][0] == '#')
    return outcome::ok;
  const auto& cmd = args[0];
  if (cmd == "help") {
    out_->line(help_text);
    return outcome::ok;
  }
  if (cmd == "quit" || cmd == "exit")
    return outcome::quit;
  if (cmd == "echo") {
    out_->line(raw.substr(raw.find("echo") + 4));
    return outcome::ok;
  }
  if (cmd == "sleep") {
    auto d = args.size() > 1 ? parse_duration(args[1]) : std::nullopt;
    if (!d)
      return error("sleep <duration>");
    std::this_thread::sleep_for(*d);
    return outcome::ok;
  }
  if (cmd == "set")
    return cmd_set(args);
  if (cmd == "connect")
    return args.size() == 2 ? connect(args[1]) : error("connect <host:port>");
  if (!directory_)
    return error("not connected (connect <host:port>)");
  if (cmd == "status")
    return cmd_status();
  if (cmd == "list")
    return cmd_list(args);
  if (cmd == "create")
    return cmd_create(args);
  if (cmd == "close")
    return cmd_close(args);
  if (cmd == "snapshot")
    return cmd_snapshot(args);
  if (cmd == "watch")
    return cmd_watch(args);
  if (cmd == "bot")
    return cmd_bot(args);
  if (args.size() < 2)
    return error("unknown command or missing bot name: " + raw + " (try help)");
  if (cmd == "expect")
    return args.size() == 3 ? cmd_expect(args[1], args[2]) : error("expect <bot> <json>");
  if (cmd == "expect-error")
    return args.size() == 3 ? cmd_expect(args[1], R"({"error":{"code":")" + args[2] + R"("}})")
                            : error("expect-error <bot> <ERROR_CODE>");
  auto* b = find_bot(args[1]);
  if (!b)
    return error("no bot " + args[1]);
  sig::ClientMessage m;
  auto call_id = [&] { return b->log->last_call_id(); };
  if (cmd == "send") {
    if (args.size() != 3)
      return error("send <bot> <json>");
    auto parsed = protocol::decode_client(args[2], protocol::wire_format::json);
    if (!parsed)
      return error(parsed.err().message);
    m = *parsed;
  } else if (cmd == "call" && args.size() == 3) {
    m.mutable_call_invite()->set_callee(args[2]);
  } else if (cmd == "accept") {
    m.mutable_call_accept()->set_call_id(call_id());
  } else if (cmd == "reject") {
    m.mutable_call_reject()->set_call_id(call_id());
  } else if (cmd == "cancel") {
    m.mutable_call_cancel()->set_call_id(call_id());
  } else if (cmd == "hangup") {
    m.mutable_call_hangup()->set_call_id(call_id());
  } else if (cmd == "ready") {
    m.mutable_call_media_ready()->set_call_id(call_id());
  } else if (cmd == "raise") {
    m.mutable_raise_hand();
  } else if (cmd == "lower") {
    m.mutable_lower_hand();
  } else if (cmd == "take") {
    m.mutable_accept_hand()->set_student(args.size() > 2 ? args[2] : "");
  } else if (cmd == "dismiss") {
    m.mutable_dismiss_hand()->set_student(args.size() > 2 ? args[2] : "");
  } else if (cmd == "leave") {
    m.mutable_leave();
  } else if (cmd == "camera" || cmd == "screen" || cmd == "photo") {
    return device(args);
  } else if (cmd == "draw" && args.size() >= 5) {
    auto* s = m.mutable_whiteboard()->mutable_stroke();
    s->set_stroke_id(args[2]);
    s->set_color("#1f6feb");
    s->set_width(0.005f);
    for (std::size_t i = 3; i < args.size(); ++i) {
      try {
        s->add_points(std::stof(args[i]));
      } catch (...) {
        return error("bad coordinate " + args[i]);
      }
    }
  } else {
    return error("unknown command or wrong arguments: " + raw + " (try help)");
  }
  return cmd_send(*b, std::move(m));
}

outcome shell::device(const std::vector<std::string>& args) {
  const auto& cmd = args[0];
  if (args.size() < 4)
    return error(cmd + " <bot> <target> <value> [deadline_ms]");
  auto* b = find_bot(args[1]);
  sig::ClientMessage m;
  auto* d = m.mutable_device_command();
  d->set_target(args[2]);
  if (args.size() > 4) {
    auto deadline = parse_duration(args[4]);
    if (!deadline)
      return error("bad deadline " + args[4]);
    d->set_deadline_ms(static_cast<uint32_t>(deadline->count()));
  }
  const auto& v = args[3];
  if (cmd == "camera") {
    if (v != "face" && v != "desk")
      return error("camera face|desk");
    d->mutable_switch_camera()->set_camera(v == "face" ? sig::CAMERA_FACE : sig::CAMERA_DESK);
  } else if (cmd == "screen") {
    if (v != "whiteboard" && v != "video")
      return error("screen whiteboard|video");
    d->mutable_switch_screen()->set_screen(v == "video" ? sig::SCREEN_VIDEO
                                                        : sig::SCREEN_WHITEBOARD);
  } else {
    auto x = v.find('x');
    try {
      d->mutable_capture_photo()->set_width(static_cast<uint32_t>(std::stoul(v.substr(0, x))));
      d->mutable_capture_photo()->set_height(static_cast<uint32_t>(std::stoul(v.substr(x + 1))));
    } catch (...) {
      return error("photo size is <W>x<H>");
    }
  }
  return cmd_send(*b, std::move(m));
}

outcome shell::cmd_send(bot_entry& b, sig::ClientMessage m) {
  caf::anon_send(b.bot, atoms::client::value, std::move(m));
  return outcome::ok;
}

outcome shell::cmd_expect(const std::string& bot, const std::string& json) {
  auto* b = find_bot(bot);
  if (!b)
    return error("no bot " + bot);
  auto pattern = parse_json(json);
  if (!pattern)
    return error("pattern is not JSON: " + json);
  auto pred = [&](const sig::ServerMessage& m) {
    auto actual = parse_json(full_json(m));
    return actual && json_contains(*actual, *pattern);
  };
  if (b->log->expect(pred, expect_timeout_)) {
    out_->line("ok: " + bot + " got " + json);
    return outcome::ok;
  }
  out_->line("FAILED: " + bot + " did not get " + json + " within " +
             std::to_string(expect_timeout_.count()) + " ms; unconsumed:");
  for (auto& m : b->log->pending())
    out_->line("  " + to_json(m));
  return outcome::failed;
}

outcome shell::cmd_bot(const std::vector<std::string>& args) {
  if (args.size() < 4)
    return error("bot <name> <tenant>/<classroom> <role> [key=value...]");
  const auto& name = args[1];
  if (bots_.count(name))
    return error("bot " + name + " exists");
  auto slash = args[2].find('/');
  if (slash == std::string::npos)
    return error("expected <tenant>/<classroom>");
  protocol::token_claims c;
  c.tenant = args[2].substr(0, slash);
  c.classroom = args[2].substr(slash + 1);
  c.identity = name;
  c.display_name = key_value(args, 4, "name", name);
  c.role = protocol::role_from_name(args[3]);
  if (c.role == sig::ROLE_UNSPECIFIED)
    return error("role is teacher|assistant|student|parent");
  c.child = key_value(args, 4, "child");
  c.mode = protocol::mode_from_name(key_value(args, 4, "mode"));
  c.expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count() +
                 24 * 3600;
  bot_behavior behavior;
  auto answer = key_value(args, 4, "answer", "accept");
  if (answer == "accept")
    behavior.answer = answer_policy::accept;
  else if (answer == "reject")
    behavior.answer = answer_policy::reject;
  else if (answer == "ignore")
    behavior.answer = answer_policy::ignore;
  else
    return error("answer=accept|reject|ignore");
  auto dev = key_value(args, 4, "device", "done");
  if (dev == "done")
    behavior.device = device_policy::done;
  else if (dev == "fail")
    behavior.device = device_policy::fail;
  else if (dev == "ignore")
    behavior.device = device_policy::ignore;
  else
    return error("device=done|fail|ignore");
  for (auto [key, field] : {std::pair{"answer_delay", &behavior.answer_delay},
                            std::pair{"device_delay", &behavior.device_delay}}) {
    auto v = key_value(args, 4, key, "0");
    auto d = parse_duration(v);
    if (!d)
      return error(std::string("bad ") + key);
    *field = *d;
  }
  caf::scoped_actor self{sys_};
  actors::classroom_actor classroom;
  actors::dispatcher_actor dispatcher;
  caf::error failure;
  self->request(directory_, request_timeout_, atoms::open::value, c)
      .receive([&](const actors::classroom_actor& x) { classroom = x; },
               [&](caf::error& e) { failure = std::move(e); });
  if (failure)
    return error("cannot open " + args[2] + ": " + actors::to_protocol_error(failure).message);
  self->request(directory_, request_timeout_, atoms::dispatch::value, c.tenant)
      .receive([&](const actors::dispatcher_actor& x) { dispatcher = x; }, [&](caf::error&) {});
  auto log = std::make_shared<bot_log>();
  auto bot = spawn_bot(sys_, name, behavior, log, out_);
  auto participant =
    actors::spawn_participant(sys_, {c, classroom, dispatcher, timeouts_, {}});
  caf::anon_send(bot, atoms::attach::value, participant);
  bool joined = false;
  self->request(participant, request_timeout_, atoms::attach::value, actors::session_actor{bot})
      .receive(
          [&](const sig::Joined& j) {
            joined = true;
            sig::ServerMessage m;
            *m.mutable_joined() = j;
            out_->line("[" + name + "] joined " + args[2] + " as " + args[3] + ", seq " +
                       std::to_string(j.snapshot().seq()));
            log->add(m);
          },
          [&](caf::error& e) { failure = std::move(e); });
  if (!joined) {
    caf::anon_send_exit(bot, caf::exit_reason::user_shutdown);
    auto pe = actors::to_protocol_error(failure);
    // Scripts check refusals with expect-error, so keep the bot's log.
    sig::ServerMessage m = protocol::make_error(0, pe);
    out_->line("[" + name + "] join refused: " + std::string(protocol::to_string(pe.code)) + ": " +
               pe.message);
    log->add(m);
    bots_.emplace(name, bot_entry{bot_actor{}, actors::participant_actor{}, log, c});
    return outcome::ok;
  }
  bots_.emplace(name, bot_entry{bot, participant, log, c});
  return outcome::ok;
}

outcome shell::cmd_snapshot(const std::vector<std::string>& args) {
  if (args.size() < 2)
    return error("snapshot <tenant>/<classroom> [viewer]");
  auto c = lookup(args[1]);
  if (!c)
    return error(actors::to_protocol_error(c.error()).message);
  return ask(
      *c, [&](const sig::ClassroomSnapshot& s) { out_->line(to_json(s)); }, caf::get_atom::value,
      args.size() > 2 ? args[2] : std::string{});
}

outcome shell::cmd_watch(const std::vector<std::string>& args) {
  if (args.size() != 2)
    return error("watch <tenant>/<classroom>");
  auto c = lookup(args[1]);
  if (!c)
    return error(actors::to_protocol_error(c.error()).message);
  auto w = sys_.spawn(watch_session, out_, args[1]);
  auto res = ask(
      *c,
      [&](const sig::ClassroomSnapshot& s) {
        out_->line("[watch " + args[1] + "] snapshot " + to_json(s));
      },
      atoms::watch::value, w);
  watchers_.push_back(w);
  return res;
}

outcome shell::cmd_status() {
  return ask(
      directory_,
      [&](const actors::node_status& s) {
        std::ostringstream os;
        os << "node " << s.node_name << ": " << s.classrooms << " classrooms, " << s.members
           << " members (" << s.online << " online), up " << s.uptime_s << " s, data in "
           << s.data_dir;
        out_->line(os.str());
        for (const auto& m : s.cluster)
          out_->line("  member " + m.info.name + (m.self ? " (this node)" : "") + ": "
                     + actors::to_string(m.state) + (m.info.draining ? ", draining" : "")
                     + ", http " + m.info.http + ", cluster "
                     + m.info.cluster
                     + (m.self ? "" : ", heard " + std::to_string(m.silent_ms) + " ms ago"));
      },
      atoms::status::value);
}

outcome shell::cmd_list(const std::vector<std::string>& args) {
  return ask(
      directory_,
      [&](const std::vector<std::string>& names) {
        for (auto& n : names)
          out_->line(n);
        out_->line(std::to_string(names.size()) + " classrooms");
      },
      atoms::list::value, args.size() > 1 ? args[1] : std::string{});
}

outcome shell::cmd_create(const std::vector<std::string>& args) {
  if (args.size() != 3)
    return error("create <tenant>/<classroom> <mode>");
  auto slash = args[1].find('/');
  if (slash == std::string::npos)
    return error("expected <tenant>/<classroom>");
  actors::classroom_spec spec;
  spec.tenant = args[1].substr(0, slash);
  spec.classroom_id = args[1].substr(slash + 1);
  spec.mode = protocol::mode_from_name(args[2]);
  if (spec.mode == sig::MODE_UNSPECIFIED)
    return error("mode is one_on_one|small_group|large_class");
  return ask(
      directory_, [&](const actors::classroom_actor&) { out_->line("created " + args[1]); },
      atoms::create::value, spec);
}

outcome shell::cmd_close(const std::vector<std::string>& args) {
  if (args.size() != 2)
    return error("close <tenant>/<classroom>");
  auto c = lookup(args[1]);
  if (!c)
    return error(actors::to_protocol_error(c.error()).message);
  return ask(
      *c, [&](caf::ok_atom) { out_->line("closed " + args[1]); }, atoms::close::value,
      std::string("closed from the shell"));
}

outcome shell::cmd_set(const std::vector<std::string>& args) {
  if (args.size() != 3)
    return error("set ring|media|grace|expect <duration>");
  auto d = parse_duration(args[2]);
  if (!d)
    return error("bad duration " + args[2]);
  if (args[1] == "ring")
    timeouts_.ring = *d;
  else if (args[1] == "media")
    timeouts_.media_setup = *d;
  else if (args[1] == "grace")
    timeouts_.reconnect_grace = *d;
  else if (args[1] == "expect")
    expect_timeout_ = *d;
  else
    return error("set ring|media|grace|expect <duration>");
  return outcome::ok;
}

} // namespace lamplight::shell
