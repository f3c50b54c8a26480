#include "nodes/node/ws_gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

namespace lamplight::node {

namespace {

/// The actors' view of the socket.
class ws_link : public actors::client_link {
public:
  explicit ws_link(std::shared_ptr<transport::ws_connection> conn) : conn_(std::move(conn)) {}
  void send(std::string frame, protocol::wire_format fmt) override {
    conn_->send(std::move(frame), fmt == protocol::wire_format::binary);
  }
  void close(std::string reason) override {
    // 1000: the session ended normally (left, replaced, classroom closed).
    conn_->close(1000, std::move(reason));
  }

private:
  std::shared_ptr<transport::ws_connection> conn_;
};

/// The socket's view of the actor.
class session_handler : public transport::ws_session_handler {
public:
  explicit session_handler(actors::gateway_session_actor session)
    : session_(std::move(session)) {}
  void on_message(std::string data, bool binary) override {
    caf::anon_send(session_, atoms::frame::value, std::move(data),
                   binary ? protocol::wire_format::binary : protocol::wire_format::json);
  }
  void on_close() override { caf::anon_send(session_, atoms::closed::value); }

private:
  actors::gateway_session_actor session_;
};

} // namespace

std::shared_ptr<transport::ws_session_handler>
open_gateway_session(caf::actor_system& sys, const actors::gateway_config& cfg,
                     std::shared_ptr<transport::ws_connection> conn) {
  auto session = actors::spawn_gateway_session(sys, std::make_shared<ws_link>(conn), cfg);
  return std::make_shared<session_handler>(std::move(session));
}

} // namespace lamplight::node
