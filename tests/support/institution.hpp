#pragma once

// An institution as the end-to-end tests play it: an operator makes its
// tenant and API key with lamplight-admin, its backend signs server API
// requests with that key, and its members join a node over real WebSockets.
// Header-only (Boost.Test's checks inside); the including test links
// lamplight_backend, lamplight_transport and lamplight_test_process.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "backend/api_auth.hpp"
#include "backend/random_id.hpp"
#include "lamplight/api/v1/api.pb.h"
#include "protocol/codec.hpp"
#include "tests/support/process.hpp"
#include "transport/websocket_client.hpp"

namespace lamplight::test {

/// An institution's backend: its key, and requests signed with it, sent to
/// the node at `port`.
struct institution {
  std::string tenant, kid, secret;
  uint16_t port = 0;

  transport::http_result call(const std::string& method, const std::string& target,
                              const std::string& body = "", std::string nonce = "") const {
    using namespace std::chrono_literals;
    if (nonce.empty())
      nonce = backend::random_hex(12);
    auto auth = backend::sign_api_request(kid, secret, method, target, body,
                                          backend::wall_ms() / 1000, nonce);
    return transport::http_request_once("127.0.0.1", port, method, target, body, 5s,
                                        {{"Authorization", auth},
                                         {"Content-Type", "application/json"}});
  }

  template <class T>
  T ok(const std::string& method, const std::string& target, const std::string& body = "",
       int status = 200) const {
    auto r = call(method, target, body);
    BOOST_REQUIRE_MESSAGE(r.status == status, method << " " << target << ": " << r.status << " "
                                                     << r.body);
    T out;
    BOOST_REQUIRE_MESSAGE(google::protobuf::util::JsonStringToMessage(r.body, &out).ok(), r.body);
    return out;
  }

  /// The Error code of a refused call.
  std::string refused(const std::string& method, const std::string& target, int status,
                      const std::string& body = "") const {
    auto r = call(method, target, body);
    BOOST_TEST(r.status == status, method << " " << target << ": " << r.status << " " << r.body);
    api::v1::Error e;
    (void) google::protobuf::util::JsonStringToMessage(r.body, &e);
    return e.code();
  }

  /// A join token for `identity` in `classroom`, issued by the API.
  std::string token(const std::string& classroom, const std::string& identity,
                    const std::string& role, const std::string& display_name = "") const {
    return ok<api::v1::IssuedToken>(
             "POST", "/api/v1/tokens",
             R"({"classroom":")" + classroom + R"(","identity":")" + identity
               + R"(","displayName":")" + (display_name.empty() ? "Name of " + identity : display_name)
               + R"(","role":")" + role + R"("})")
      .token();
  }
};

/// lamplight-admin with `args` (the database's flag first); its output
/// lines. It must succeed.
inline std::vector<std::string> run_admin(const std::string& admin_bin,
                                          std::vector<std::string> args) {
  using namespace std::chrono_literals;
  args.insert(args.begin(), admin_bin);
  child_process p(args);
  std::vector<std::string> out;
  while (auto line = p.read_line(10s))
    out.push_back(*line);
  auto status = p.wait(10s);
  BOOST_REQUIRE_MESSAGE(status.has_value() && *status == 0, "lamplight-admin failed");
  return out;
}

/// A new tenant and its first key, made with lamplight-admin on the
/// database `db_flag` names (e.g. {"--data-dir", DIR}).
inline institution make_institution(const std::string& admin_bin,
                                    const std::vector<std::string>& db_flag,
                                    const std::string& id, const std::string& name,
                                    uint16_t port) {
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), db_flag.begin(), db_flag.end());
    return run_admin(admin_bin, std::move(args));
  };
  with({"tenant", "create", id, name});
  auto out = with({"key", "create", id});
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  google::protobuf::Struct key;
  BOOST_REQUIRE(google::protobuf::util::JsonStringToMessage(out[0], &key).ok());
  return {id, key.fields().at("kid").string_value(), key.fields().at("secret").string_value(),
          port};
}

/// The node's answer to a join with `token` over a new WebSocket: the
/// socket once Joined, or the Error's code.
struct join_result {
  std::unique_ptr<transport::websocket_client> ws;
  signal::v1::ErrorCode refused = signal::v1::ERROR_UNSPECIFIED;
};

inline join_result try_join(uint16_t port, const signal::v1::Join& join) {
  using namespace std::chrono_literals;
  auto ws = std::make_unique<transport::websocket_client>();
  BOOST_REQUIRE(ws->connect("127.0.0.1", port, "/signal"));
  signal::v1::ClientMessage m;
  m.set_request_id(1);
  *m.mutable_join() = join;
  BOOST_REQUIRE(ws->send_text(protocol::encode_client(m, protocol::wire_format::json)));
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline;) {
    auto frame = ws->read(1s);
    if (!frame)
      continue;
    auto reply = protocol::decode_server(frame->data, protocol::wire_format::json);
    BOOST_REQUIRE(bool(reply));
    if (reply->has_error())
      return {nullptr, reply->error().code()};
    if (reply->has_joined())
      return {std::move(ws), signal::v1::ERROR_UNSPECIFIED};
  }
  BOOST_FAIL("no answer to Join");
  return {};
}

inline join_result try_join(uint16_t port, const std::string& token) {
  signal::v1::Join j;
  j.set_token(token);
  return try_join(port, j);
}

/// A member over a real WebSocket, joined with `token`; it must be admitted.
inline std::unique_ptr<transport::websocket_client> join_member(uint16_t port,
                                                                const std::string& token) {
  auto r = try_join(port, token);
  BOOST_REQUIRE_MESSAGE(r.ws != nullptr, "join refused: " << signal::v1::ErrorCode_Name(r.refused));
  return std::move(r.ws);
}

inline void leave_member(transport::websocket_client& ws) {
  signal::v1::ClientMessage m;
  m.set_request_id(2);
  m.mutable_leave();
  BOOST_REQUIRE(ws.send_text(protocol::encode_client(m, protocol::wire_format::json)));
}

/// Polls `p` (every 50 ms, at most `limit`) for what a node does in the
/// background: webhook deliveries, history written.
template <class Pred>
bool eventually(Pred p, std::chrono::seconds limit) {
  using namespace std::chrono_literals;
  for (auto deadline = std::chrono::steady_clock::now() + limit;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms))
    if (p())
      return true;
  return p();
}

} // namespace lamplight::test
