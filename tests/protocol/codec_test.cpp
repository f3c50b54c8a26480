#include <boost/test/unit_test.hpp>

#include "protocol/codec.hpp"

using namespace lamplight::protocol;
namespace sig = lamplight::signal::v1;

namespace {

sig::ClientMessage invite(uint64_t id, const std::string& callee) {
  sig::ClientMessage m;
  m.set_request_id(id);
  m.mutable_call_invite()->set_callee(callee);
  return m;
}

errc decode_error(std::string_view frame, wire_format fmt, const codec_limits& lim = {}) {
  auto r = decode_client(frame, fmt, lim);
  return r ? errc::none : r.err().code;
}

} // namespace

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(json_round_trip_uses_the_canonical_mapping) {
  auto text = encode_client(invite(7, "s-cy"), wire_format::json);
  BOOST_TEST(text.find("\"requestId\":\"7\"") != std::string::npos, text);
  BOOST_TEST(text.find("\"callInvite\"") != std::string::npos, text);
  auto back = decode_client(text, wire_format::json);
  BOOST_REQUIRE(bool(back));
  BOOST_TEST(back->request_id() == 7u);
  BOOST_TEST(back->call_invite().callee() == "s-cy");
  // Browsers may write numbers unquoted and use proto field names.
  auto alt = decode_client(R"({"request_id": 9, "call_invite": {"callee": "x"}})",
                           wire_format::json);
  BOOST_REQUIRE(bool(alt));
  BOOST_TEST(alt->request_id() == 9u);
}

BOOST_AUTO_TEST_CASE(binary_round_trip) {
  auto bytes = encode_client(invite(1ull << 40, "s-cy"), wire_format::binary);
  auto back = decode_client(bytes, wire_format::binary);
  BOOST_REQUIRE(bool(back));
  BOOST_TEST(back->request_id() == 1ull << 40);
  BOOST_TEST(back->call_invite().callee() == "s-cy");

  sig::ServerMessage s;
  s.set_request_id(3);
  s.mutable_event()->set_seq(12);
  s.mutable_event()->mutable_hand_raised()->set_identity("s-cy");
  for (auto fmt : {wire_format::json, wire_format::binary}) {
    auto d = decode_server(encode_server(s, fmt), fmt);
    BOOST_REQUIRE(bool(d));
    BOOST_TEST(d->event().hand_raised().identity() == "s-cy");
    BOOST_TEST(d->event().seq() == 12u);
  }
}

BOOST_AUTO_TEST_CASE(malformed_json_is_bad_request) {
  for (auto bad : {"", "{", "not json", "[1,2]", R"({"requestId": "x"})",
                   R"({"callInvite": {"callee": 5}})", "{\"callInvite\":{}}}"})
    BOOST_TEST((decode_error(bad, wire_format::json) == errc::bad_request), bad);
}

BOOST_AUTO_TEST_CASE(unknown_json_field_or_type_is_unknown_message) {
  BOOST_TEST((decode_error(R"({"requestId":"1","teleport":{}})", wire_format::json)
              == errc::unknown_message));
  BOOST_TEST((decode_error(R"({"requestId":"1","callInvite":{"callee":"a","x":1}})",
                           wire_format::json)
              == errc::unknown_message));
}

BOOST_AUTO_TEST_CASE(empty_body_is_bad_request) {
  BOOST_TEST((decode_error(R"({"requestId":"1"})", wire_format::json) == errc::bad_request));
  sig::ClientMessage m;
  m.set_request_id(4);
  BOOST_TEST((decode_error(m.SerializeAsString(), wire_format::binary) == errc::bad_request));
}

BOOST_AUTO_TEST_CASE(malformed_protobuf_is_bad_request) {
  auto good = encode_client(invite(5, "s-cy"), wire_format::binary);
  BOOST_TEST((decode_error(good.substr(0, good.size() - 2), wire_format::binary)
              == errc::bad_request));
  BOOST_TEST((decode_error("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", wire_format::binary)
              == errc::bad_request));
}

BOOST_AUTO_TEST_CASE(unknown_protobuf_field_is_unknown_message) {
  auto bytes = encode_client(invite(5, "s-cy"), wire_format::binary);
  // Field 999, varint 1: a body type from a schema we do not know.
  bytes += std::string("\xb8\x3e\x01", 3);
  BOOST_TEST((decode_error(bytes, wire_format::binary) == errc::unknown_message));
  // And nested: field 15 inside callInvite.
  sig::ClientMessage m;
  m.set_request_id(6);
  std::string inner = std::string("\x0a\x01x", 3) + std::string("\x78\x01", 2);
  std::string outer = std::string("\x08\x06", 2) + std::string("\xa2\x01", 2)
                      + static_cast<char>(inner.size()) + inner;
  BOOST_TEST((decode_error(outer, wire_format::binary) == errc::unknown_message));
}

BOOST_AUTO_TEST_CASE(oversized_frame_is_payload_too_large) {
  codec_limits lim;
  lim.max_frame_bytes = 100;
  std::string big = encode_client(invite(1, std::string(200, 'a')), wire_format::json);
  BOOST_TEST((decode_error(big, wire_format::json, lim) == errc::payload_too_large));
  BOOST_TEST((decode_error(std::string(65 * 1024, 'x'), wire_format::binary)
              == errc::payload_too_large));
}

BOOST_AUTO_TEST_CASE(peek_request_id_of_broken_frames) {
  BOOST_TEST(peek_request_id(R"({"requestId":"42", "callInvite": {)", wire_format::json) == 42u);
  BOOST_TEST(peek_request_id(R"({"request_id": 43, "teleport": 1})", wire_format::json) == 43u);
  BOOST_TEST(peek_request_id("garbage", wire_format::json) == 0u);
  auto bytes = encode_client(invite(44, "s"), wire_format::binary);
  bytes += "\xff";
  BOOST_TEST(peek_request_id(bytes, wire_format::binary) == 44u);
  BOOST_TEST(peek_request_id("\xff\xff", wire_format::binary) == 0u);
}

BOOST_AUTO_TEST_CASE(make_error_carries_code_and_message) {
  auto e = make_error(9, errc::wrong_state, "no call");
  BOOST_TEST(e.request_id() == 9u);
  BOOST_TEST(e.error().code() == sig::ERROR_WRONG_STATE);
  BOOST_TEST(e.error().message() == "no call");
  auto p = make_pong(4, 100, 250);
  BOOST_TEST(p.request_id() == 4u);
  BOOST_TEST(p.pong().client_time_ms() == 100);
  BOOST_TEST(p.pong().server_time_ms() == 250);
}

BOOST_AUTO_TEST_SUITE_END()
