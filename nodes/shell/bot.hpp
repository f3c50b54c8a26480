#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/typed_actor.hpp>

#include "actors/classroom/participant_actor.hpp"
#include "actors/classroom/session_actor.hpp"

namespace lamplight::shell {

namespace sig = lamplight::signal::v1;

/// How a scripted participant behaves on its own.
enum class answer_policy : uint8_t { accept, reject, ignore };
const char* to_string(answer_policy x);
enum class device_policy : uint8_t { done, fail, ignore };
const char* to_string(device_policy x);

struct bot_behavior {
  answer_policy answer = answer_policy::accept;
  std::chrono::milliseconds answer_delay{0};
  device_policy device = device_policy::done;
  std::chrono::milliseconds device_delay{0};
  /// Declare media ready as soon as a call connects (bots have no media).
  bool media_ready = true;
};

/// Everything a bot received (replies and pushes, as JSON lines), shared
/// between the bot's actor and the shell's thread. `expect` consumes it in
/// order, so a script reads like the conversation it checks.
class bot_log {
public:
  void add(const sig::ServerMessage& m);
  /// Waits until an entry after the cursor matches `pred`; consumes up to it.
  bool expect(const std::function<bool(const sig::ServerMessage&)>& pred,
              std::chrono::milliseconds timeout, sig::ServerMessage* found = nullptr);
  /// The last reply to a request (request_id != 0) and everything unconsumed.
  std::vector<sig::ServerMessage> pending() const;
  /// The id of the call this bot heard of last ("" if none).
  std::string last_call_id() const;

private:
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<sig::ServerMessage> entries_;
  std::size_t cursor_ = 0;
};

/// Printing from actor threads and the shell thread without interleaving.
class printer {
public:
  explicit printer(bool quiet = false) : quiet_(quiet) {}
  void line(const std::string& text);
  void set_quiet(bool q) { quiet_ = q; }

private:
  std::mutex mtx_;
  bool quiet_;
};

/// The shell side of a bot: a session for its participant that prints and
/// logs what arrives and plays its behavior (answers calls, acks commands).
using bot_actor = actors::session_actor::extend<
  /// Its participant, once spawned.
  caf::reacts_to<atoms::attach, actors::participant_actor>,
  /// Send a request through the participant; the reply is logged.
  caf::reacts_to<atoms::client, sig::ClientMessage>>;

bot_actor spawn_bot(caf::actor_system& sys, std::string name, bot_behavior behavior,
                    std::shared_ptr<bot_log> log, std::shared_ptr<printer> out);

/// One line of JSON for a message (the proto3 JSON mapping).
std::string to_json(const google::protobuf::Message& m);

} // namespace lamplight::shell
