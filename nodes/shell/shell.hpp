#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/node/directory_actor.hpp"
#include "actors/base/errors.hpp"
#include "nodes/shell/bot.hpp"

namespace lamplight::shell {

/// What running one command did.
enum class outcome : uint8_t {
  ok,
  failed,   // an expectation did not hold (scripts exit 1)
  error,    // the command itself was wrong or could not run (scripts exit 2)
  quit,
};
const char* to_string(outcome x);

/// The actor shell: a CAF actor system of its own, connected to a node's
/// directory through the middleman, hosting scripted participants (bots).
/// Commands are lines of text; `help` lists them.
class shell {
public:
  shell(caf::actor_system& sys, std::shared_ptr<printer> out);
  ~shell();

  /// Runs one line. Messages for the developer go to the printer.
  outcome run(const std::string& line);

  /// host:port of the node's shell endpoint.
  outcome connect(const std::string& address);

private:
  struct bot_entry {
    bot_actor bot;
    actors::participant_actor participant;
    std::shared_ptr<bot_log> log;
    protocol::token_claims claims;
  };

  outcome cmd_bot(const std::vector<std::string>& args);
  outcome cmd_send(bot_entry& b, sig::ClientMessage m);
  outcome cmd_expect(const std::string& bot, const std::string& json);
  outcome cmd_snapshot(const std::vector<std::string>& args);
  outcome cmd_watch(const std::vector<std::string>& args);
  outcome cmd_status();
  outcome cmd_list(const std::vector<std::string>& args);
  outcome cmd_create(const std::vector<std::string>& args);
  outcome cmd_close(const std::vector<std::string>& args);
  outcome cmd_set(const std::vector<std::string>& args);
  outcome device(const std::vector<std::string>& args);
  outcome error(const std::string& message);

  /// One blocking request with the shell's timeout: `on_reply` gets the
  /// answer; an error is printed and returned as outcome::error.
  template <class Handle, class OnReply, class... Ts>
  outcome ask(const Handle& dest, OnReply on_reply, Ts&&... xs) {
    caf::scoped_actor self{sys_};
    outcome res = outcome::ok;
    self->request(dest, request_timeout_, std::forward<Ts>(xs)...)
      .receive(on_reply,
               [&](caf::error& e) { res = error(actors::to_protocol_error(e).message); });
    return res;
  }
  bot_entry* find_bot(const std::string& name);
  caf::expected<actors::classroom_actor> lookup(const std::string& tenant_slash_classroom);

  caf::actor_system& sys_;
  std::shared_ptr<printer> out_;
  actors::directory_actor directory_;
  std::map<std::string, bot_entry> bots_;
  std::vector<actors::session_actor> watchers_;
  actors::participant_timeouts timeouts_;
  std::chrono::milliseconds expect_timeout_{5000};
  std::chrono::milliseconds request_timeout_{10000};
};

/// Splits a command line into words; a word starting with '{' or '[' runs to
/// the end of the line (JSON arguments), quotes group words.
std::vector<std::string> split_words(const std::string& line);

/// "3s", "250ms", "1500" (milliseconds) -> duration; nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

} // namespace lamplight::shell
