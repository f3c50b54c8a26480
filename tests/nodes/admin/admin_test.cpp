// Onboarding an institution as an operator does it: lamplight-admin makes a
// tenant and an API key on a running node's database, the institution's
// backend signs join tokens with that key, and the node admits them for that
// tenant only; a revoked key or a suspended tenant is refused from the next
// join on, without a restart.
#include <boost/test/unit_test.hpp>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "protocol/codec.hpp"
#include "protocol/token.hpp"
#include "tests/support/node_process.hpp"
#include "transport/websocket_client.hpp"

using namespace std::chrono_literals;
using lamplight::test::child_process;
namespace sig = lamplight::signal::v1;
namespace protocol = lamplight::protocol;
namespace transport = lamplight::transport;
namespace pb = google::protobuf;

namespace {

struct admin_fixture {
  lamplight::test::node_process node;

  std::string data_dir() const { return (node.dir.path / "data").string(); }

  /// Runs lamplight-admin; its stdout lines and exit status.
  std::pair<std::vector<std::string>, int> admin(std::vector<std::string> args) {
    args.insert(args.begin(), {LAMPLIGHT_ADMIN_BIN, "--data-dir", data_dir()});
    child_process p(args);
    std::vector<std::string> out;
    while (auto line = p.read_line(10s))
      out.push_back(*line);
    auto status = p.wait(10s);
    BOOST_REQUIRE(status.has_value());
    return {out, *status};
  }

  /// The one JSON object lamplight-admin printed.
  pb::Struct object(std::vector<std::string> args) {
    auto [out, status] = admin(std::move(args));
    BOOST_REQUIRE_EQUAL(status, 0);
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    pb::Struct s;
    BOOST_REQUIRE(pb::util::JsonStringToMessage(out[0], &s).ok());
    return s;
  }

  /// A Join over a real WebSocket: the error code, or none.
  protocol::errc join(const std::string& token) {
    transport::websocket_client ws;
    BOOST_REQUIRE(ws.connect("127.0.0.1", node.http_port, "/signal"));
    sig::ClientMessage m;
    m.set_request_id(1);
    m.mutable_join()->set_token(token);
    BOOST_REQUIRE(ws.send_text(protocol::encode_client(m, protocol::wire_format::json)));
    auto frame = ws.read(5s);
    BOOST_REQUIRE(frame.has_value());
    auto reply = protocol::decode_server(frame->data, protocol::wire_format::json);
    BOOST_REQUIRE(bool(reply));
    if (reply->has_joined())
      return protocol::errc::none;
    BOOST_REQUIRE(reply->has_error());
    return protocol::from_proto(reply->error().code());
  }

  std::string token(const std::string& kid, const std::string& secret, const std::string& tenant,
                    const std::string& identity) {
    // A classroom of its own for each teacher (one teacher per small group).
    auto [out, status] = admin({"token", kid, secret, tenant, "room-" + identity, identity,
                                "teacher", "small_group"});
    BOOST_REQUIRE_EQUAL(status, 0);
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    return out[0];
  }

  static std::string field(const pb::Struct& s, const std::string& k) {
    auto i = s.fields().find(k);
    return i == s.fields().end() ? std::string{} : i->second.string_value();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(admin, admin_fixture)

BOOST_AUTO_TEST_CASE(an_institution_is_onboarded_and_its_key_admits_it_alone) {
  auto acme = object({"tenant", "create", "acme", "Acme Tutoring"});
  BOOST_TEST(field(acme, "status") == "active");
  object({"tenant", "create", "beta", "Beta Learning"});
  auto key = object({"key", "create", "acme"});
  auto kid = field(key, "kid");
  auto secret = field(key, "secret");
  BOOST_REQUIRE(!kid.empty());
  BOOST_REQUIRE_EQUAL(secret.size(), 64u);

  BOOST_TEST((join(token(kid, secret, "acme", "t-1")) == protocol::errc::none));
  // Acme's key for beta's classrooms: refused.
  BOOST_TEST((join(token(kid, secret, "beta", "t-2")) == protocol::errc::tenant_mismatch));

  // Listing shows the key without its secret.
  auto [listed, status] = admin({"key", "list", "acme"});
  BOOST_REQUIRE_EQUAL(status, 0);
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed[0].find(kid) != std::string::npos);
  BOOST_TEST(listed[0].find(secret) == std::string::npos);

  // Suspended: refused at the next join; resumed: admitted again.
  object({"tenant", "suspend", "acme"});
  BOOST_TEST((join(token(kid, secret, "acme", "t-3")) == protocol::errc::unauthenticated));
  object({"tenant", "resume", "acme"});
  BOOST_TEST((join(token(kid, secret, "acme", "t-3")) == protocol::errc::none));

  // Rotated without grace: the old key is refused, the new one admits.
  auto fresh = object({"key", "rotate", "acme", kid});
  BOOST_TEST((join(token(kid, secret, "acme", "t-4")) == protocol::errc::unauthenticated));
  BOOST_TEST((join(token(field(fresh, "kid"), field(fresh, "secret"), "acme", "t-4"))
              == protocol::errc::none));
  // Revoked: refused.
  object({"key", "revoke", "acme", field(fresh, "kid")});
  BOOST_TEST((join(token(field(fresh, "kid"), field(fresh, "secret"), "acme", "t-5"))
              == protocol::errc::unauthenticated));
}

BOOST_AUTO_TEST_CASE(bad_commands_get_clear_errors_and_change_nothing) {
  BOOST_TEST(admin({"tenant", "create", "../etc", "x"}).second == 1);
  BOOST_TEST(admin({"key", "create", "nobody"}).second == 3);
  BOOST_TEST(admin({"key", "revoke", "acme", "k_0000000000000000"}).second == 3);
  BOOST_TEST(admin({"tenant", "frobnicate"}).second == 2);
  auto [out, status] = admin({"tenant", "list"});
  BOOST_TEST(status == 0);
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_SUITE_END()
