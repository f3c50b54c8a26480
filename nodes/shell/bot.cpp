#include "nodes/shell/bot.hpp"

#include <iostream>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <google/protobuf/util/json_util.h>

#include "actors/base/errors.hpp"
#include "protocol/codec.hpp"

namespace lamplight::shell {

const char* to_string(answer_policy x) {
  switch (x) {
    case answer_policy::accept: return "accept";
    case answer_policy::reject: return "reject";
    case answer_policy::ignore: return "ignore";
  }
  return "unknown";
}

const char* to_string(device_policy x) {
  switch (x) {
    case device_policy::done: return "done";
    case device_policy::fail: return "fail";
    case device_policy::ignore: return "ignore";
  }
  return "unknown";
}

std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  (void) google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

void bot_log::add(const sig::ServerMessage& m) {
  std::lock_guard<std::mutex> guard(mtx_);
  entries_.push_back(m);
  cv_.notify_all();
}

bool bot_log::expect(const std::function<bool(const sig::ServerMessage&)>& pred,
                     std::chrono::milliseconds timeout, sig::ServerMessage* found) {
  std::unique_lock<std::mutex> guard(mtx_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto i = cursor_; i < entries_.size(); ++i)
      if (pred(entries_[i])) {
        if (found)
          *found = entries_[i];
        cursor_ = i + 1;
        return true;
      }
    if (cv_.wait_until(guard, deadline) == std::cv_status::timeout) {
      // One last look: an entry may have come with the timeout.
      for (auto i = cursor_; i < entries_.size(); ++i)
        if (pred(entries_[i])) {
          if (found)
            *found = entries_[i];
          cursor_ = i + 1;
          return true;
        }
      return false;
    }
  }
}

std::vector<sig::ServerMessage> bot_log::pending() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return {entries_.begin() + static_cast<std::ptrdiff_t>(cursor_), entries_.end()};
}

std::string bot_log::last_call_id() const {
  std::lock_guard<std::mutex> guard(mtx_);
  for (auto i = entries_.rbegin(); i != entries_.rend(); ++i) {
    if (i->has_call_invited())
      return i->call_invited().call_id();
    if (i->has_incoming_call())
      return i->incoming_call().call_id();
    if (i->has_call_update())
      return i->call_update().call_id();
  }
  return {};
}

void printer::line(const std::string& text) {
  if (quiet_)
    return;
  std::lock_guard<std::mutex> guard(mtx_);
  std::cout << text << std::endl;
}

namespace {

constexpr auto request_timeout = std::chrono::seconds(10);

struct bot_state {
  std::string who;
  bot_behavior behavior;
  std::shared_ptr<bot_log> log;
  std::shared_ptr<printer> out;
  actors::participant_actor participant;
  uint64_t next_request = 1;
  std::set<std::string> readied;  // calls it declared media ready for
  static inline const char* name = "lamplight.shell.bot";
};

using self_ptr = bot_actor::stateful_pointer<bot_state>;

/// Sends `m` to itself after `delay`, so the bot's own requests go through
/// the same path (and logging) as the developer's.
void later(self_ptr self, std::chrono::milliseconds delay, sig::ClientMessage m) {
  if (delay.count() == 0)
    self->send(self, atoms::client::value, std::move(m));
  else
    self->delayed_send(self, delay, atoms::client::value, std::move(m));
}

void react(self_ptr self, const sig::ServerMessage& m) {
  auto& b = self->state.behavior;
  if (m.has_incoming_call()) {
    sig::ClientMessage reply;
    switch (b.answer) {
      case answer_policy::accept:
        reply.mutable_call_accept()->set_call_id(m.incoming_call().call_id());
        break;
      case answer_policy::reject:
        reply.mutable_call_reject()->set_call_id(m.incoming_call().call_id());
        break;
      case answer_policy::ignore:
        return;
    }
    later(self, b.answer_delay, std::move(reply));
  } else if (m.has_call_update() && m.call_update().phase() == sig::CALL_PHASE_CONNECTING
             && b.media_ready && self->state.readied.insert(m.call_update().call_id()).second) {
    // Once per call: CONNECTING is pushed again when either side's media is up.
    sig::ClientMessage ready;
    ready.mutable_call_media_ready()->set_call_id(m.call_update().call_id());
    later(self, std::chrono::milliseconds(0), std::move(ready));
  } else if (m.has_device_request()) {
    const auto& req = m.device_request();
    if (b.device == device_policy::ignore)
      return;
    sig::ClientMessage accepted;
    accepted.mutable_device_ack()->set_command_id(req.command_id());
    accepted.mutable_device_ack()->set_kind(sig::DEVICE_ACK_ACCEPTED);
    later(self, std::chrono::milliseconds(0), accepted);
    sig::ClientMessage finished;
    auto* ack = finished.mutable_device_ack();
    ack->set_command_id(req.command_id());
    if (b.device == device_policy::done) {
      ack->set_kind(sig::DEVICE_ACK_DONE);
      if (req.has_capture_photo())
        ack->set_detail("photo " + std::to_string(req.capture_photo().width()) + "x"
                        + std::to_string(req.capture_photo().height()));
    } else {
      ack->set_kind(sig::DEVICE_ACK_FAILED);
      ack->set_detail("simulated failure");
    }
    later(self, b.device_delay, std::move(finished));
  }
}

bot_actor::behavior_type bot_impl(self_ptr self, std::string name, bot_behavior behavior,
                                  std::shared_ptr<bot_log> log, std::shared_ptr<printer> out) {
  auto& st = self->state;
  st.who = std::move(name);
  st.behavior = behavior;
  st.log = std::move(log);
  st.out = std::move(out);
  return {
    [=](atoms::push, const sig::ServerMessage& m) {
      self->state.out->line("[" + self->state.who + "] <- " + to_json(m));
      self->state.log->add(m);
      react(self, m);
    },
    [=](atoms::kick, const sig::Error& e) {
      sig::ServerMessage m;
      *m.mutable_error() = e;
      self->state.out->line("[" + self->state.who + "] kicked: " + to_json(m));
      self->state.log->add(m);
    },
    [=](atoms::attach, const actors::participant_actor& p) { self->state.participant = p; },
    [=](atoms::client, sig::ClientMessage m) {
      auto& s = self->state;
      if (m.request_id() == 0)
        m.set_request_id(s.next_request++);
      s.out->line("[" + s.who + "] -> " + to_json(m));
      auto rid = m.request_id();
      self->request(s.participant, request_timeout, atoms::client::value, m)
        .then(
          [=](const sig::ServerMessage& r) {
            self->state.out->line("[" + self->state.who + "] <- " + to_json(r));
            self->state.log->add(r);
          },
          [=](caf::error& err) {
            auto r = protocol::make_error(rid, actors::to_protocol_error(err));
            self->state.out->line("[" + self->state.who + "] <- " + to_json(r));
            self->state.log->add(r);
          });
    },
  };
}

} // namespace

bot_actor spawn_bot(caf::actor_system& sys, std::string name, bot_behavior behavior,
                    std::shared_ptr<bot_log> log, std::shared_ptr<printer> out) {
  return sys.spawn(bot_impl, std::move(name), behavior, std::move(log), std::move(out));
}

} // namespace lamplight::shell
