// The operations views of a node as text, without a node: the Prometheus
// exposition parses as a scraper reads it and says what the status says,
// the admin JSON is JSON, and /admin/status's access rule.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "nodes/node/metrics.hpp"
#include "tests/nodes/node/metrics_text.hpp"

namespace actors = lamplight::actors;
namespace node = lamplight::node;
using lamplight::protocol::errc;
using lamplight::test::parse_metrics;

namespace {

actors::node_status sample_status() {
  actors::node_status st;
  st.node_name = "edge-1";
  st.data_dir = "/var/lib/lamplight";
  st.uptime_s = 3600;
  st.classrooms = 2;
  st.members = 9;
  st.online = 7;
  st.tracks = 4;
  actors::classroom_status a;
  a.tenant = "acme";
  a.classroom_id = "room-1";
  a.mode = lamplight::signal::v1::MODE_ONE_ON_ONE;
  a.members = 2;
  a.online = 2;
  a.tracks = 4;
  a.answered = true;
  actors::classroom_status b;
  b.tenant = "beta";
  b.classroom_id = "c2";
  st.rooms = {a, b};
  st.media_workers = {{40000, 3}, {40001, 2}};
  st.call_outcomes[static_cast<std::size_t>(actors::call_outcome::rejected)] = 2;
  st.call_outcomes[static_cast<std::size_t>(actors::call_outcome::connected)] = 5;
  st.requests_failed.resize(static_cast<std::size_t>(errc::already_exists) + 1);
  st.requests_failed[static_cast<std::size_t>(errc::bad_request)] = 3;
  return st;
}

node::media_totals sample_media() {
  node::media_totals m;
  lamplight::media::media_worker::worker_stats w1, w2;
  w1.datagrams_in = 100;
  w1.rtp_in = 80;
  w1.rtp_forwarded = 160;
  w1.bytes_out = 32000;
  w1.retransmitted = 1;
  w2.rtp_in = 20;
  w2.rtp_forwarded = 20;
  w2.srtp_failures = 4;
  m.workers = {w1, w2};
  m.answered = {true, false};
  node::add_to(m.sum, w1);
  node::add_to(m.sum, w2);
  return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(node_metrics)

BOOST_AUTO_TEST_CASE(exposition_parses_and_carries_the_status) {
  node::process_usage proc{123456789, 12.25};
  auto text = node::render_metrics(sample_status(), sample_media(), proc);
  auto m = parse_metrics(text);
  BOOST_TEST(m.errors.empty(), m.error_text() << text);
  // Every name the load bench and dashboards read, with its type.
  for (auto [name, type] : std::vector<std::pair<std::string, std::string>>{
         {"lamplight_classrooms", "gauge"},
         {"lamplight_members", "gauge"},
         {"lamplight_members_online", "gauge"},
         {"lamplight_tracks", "gauge"},
         {"lamplight_media_workers", "gauge"},
         {"lamplight_media_peers", "gauge"},
         {"lamplight_media_datagrams_in_total", "counter"},
         {"lamplight_media_rtp_in_total", "counter"},
         {"lamplight_media_rtp_forwarded_total", "counter"},
         {"lamplight_media_bytes_out_total", "counter"},
         {"lamplight_media_retransmitted_total", "counter"},
         {"lamplight_media_plis_sent_total", "counter"},
         {"lamplight_media_nacks_sent_total", "counter"},
         {"lamplight_media_unroutable_total", "counter"},
         {"lamplight_media_garbage_total", "counter"},
         {"lamplight_media_srtp_failures_total", "counter"},
         {"lamplight_call_outcomes_total", "counter"},
         {"lamplight_requests_failed_total", "counter"},
         {"lamplight_process_resident_bytes", "gauge"},
         {"lamplight_process_cpu_seconds_total", "counter"},
         {"lamplight_uptime_seconds", "gauge"},
       })
    BOOST_TEST(m.types[name] == type, name);
  BOOST_TEST(m.value("lamplight_classrooms") == 2);
  BOOST_TEST(m.value("lamplight_members") == 9);
  BOOST_TEST(m.value("lamplight_members_online") == 7);
  BOOST_TEST(m.value("lamplight_tracks") == 4);
  BOOST_TEST(m.value("lamplight_uptime_seconds") == 3600);
  BOOST_TEST(m.value("lamplight_media_workers") == 2);
  BOOST_TEST(m.value("lamplight_media_peers") == 5);
  BOOST_TEST(m.value("lamplight_media_workers_stalled") == 1);
  BOOST_TEST(m.value("lamplight_media_rtp_in_total") == 100);
  BOOST_TEST(m.value("lamplight_media_rtp_forwarded_total") == 180);
  BOOST_TEST(m.value("lamplight_media_bytes_out_total") == 32000);
  BOOST_TEST(m.value("lamplight_media_srtp_failures_total") == 4);
  BOOST_TEST(m.value("lamplight_media_retransmitted_total") == 1);
  BOOST_TEST(m.value("lamplight_process_resident_bytes") == 123456789);
  BOOST_TEST(m.value("lamplight_process_cpu_seconds_total") == 12.25);
  BOOST_TEST(m.value("lamplight_node_info{node=\"edge-1\"}") == 1);
  // Every outcome and every code is a series from the start, zero or not.
  BOOST_TEST(m.value("lamplight_call_outcomes_total{outcome=\"rejected\"}") == 2);
  BOOST_TEST(m.value("lamplight_call_outcomes_total{outcome=\"connected\"}") == 5);
  for (auto o : {"cancelled", "busy", "ring_timeout", "media_timeout", "hangup", "peer_dropped",
                 "failed"})
    BOOST_TEST(m.value(std::string("lamplight_call_outcomes_total{outcome=\"") + o + "\"}") == 0,
               o);
  BOOST_TEST(m.value("lamplight_requests_failed_total{code=\"bad_request\"}") == 3);
  BOOST_TEST(m.value("lamplight_requests_failed_total{code=\"already_exists\"}") == 0);
  BOOST_TEST(!m.has("lamplight_requests_failed_total{code=\"none\"}"));
}

BOOST_AUTO_TEST_CASE(an_empty_node_still_lists_every_series) {
  actors::node_status st;  // no classrooms, no media, nothing counted
  auto m = parse_metrics(node::render_metrics(st, {}, {}));
  BOOST_TEST(m.errors.empty(), m.error_text());
  BOOST_TEST(m.value("lamplight_classrooms") == 0);
  BOOST_TEST(m.value("lamplight_media_workers") == 0);
  BOOST_TEST(m.value("lamplight_call_outcomes_total{outcome=\"failed\"}") == 0);
  BOOST_TEST(m.value("lamplight_requests_failed_total{code=\"unavailable\"}") == 0);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
  auto st = sample_status();
  st.node_name = "a \"quoted\" back\\slash\nnew line";
  auto text = node::render_metrics(st, {}, {});
  auto m = parse_metrics(text);
  BOOST_TEST(m.errors.empty(), m.error_text());
  BOOST_TEST(m.has(R"(lamplight_node_info{node="a \"quoted\" back\\slash\nnew line"})"), text);
}

BOOST_AUTO_TEST_CASE(codes_newer_than_this_build_get_their_own_series) {
  auto st = sample_status();
  st.requests_failed.resize(30);
  st.requests_failed[25] = 1;
  st.requests_failed[26] = 2;
  auto m = parse_metrics(node::render_metrics(st, {}, {}));
  BOOST_TEST(m.errors.empty(), m.error_text());
  BOOST_TEST(m.value("lamplight_requests_failed_total{code=\"25\"}") == 1);
  BOOST_TEST(m.value("lamplight_requests_failed_total{code=\"26\"}") == 2);
}

BOOST_AUTO_TEST_CASE(the_parser_refuses_what_a_scraper_would) {
  BOOST_TEST(!parse_metrics("x 1\n").errors.empty());  // no HELP/TYPE
  BOOST_TEST(!parse_metrics("# HELP x h\n# TYPE x counter\nx 1\n").errors.empty());  // _total
  BOOST_TEST(!parse_metrics("# HELP x h\n# TYPE x gauge\nx{a=b} 1\n").errors.empty());
  BOOST_TEST(!parse_metrics("# HELP x h\n# TYPE x gauge\nx  1\n").errors.empty());
  BOOST_TEST(!parse_metrics("# HELP x h\n# TYPE x gauge\nx 1\nx 2\n").errors.empty());
  BOOST_TEST(parse_metrics("# HELP x h\n# TYPE x gauge\nx{a=\"b\",c=\"\\\"\"} 1.5e3\n")
               .errors.empty());
}

BOOST_AUTO_TEST_CASE(admin_status_is_json_with_the_classrooms_and_workers) {
  auto json = node::render_admin_status(sample_status(), sample_media(), {1000, 0.5});
  google::protobuf::Struct s;
  BOOST_REQUIRE_MESSAGE(google::protobuf::util::JsonStringToMessage(json, &s).ok(), json);
  const auto& f = s.fields();
  BOOST_TEST(f.at("node").string_value() == "edge-1");
  BOOST_TEST(f.at("uptimeS").number_value() == 3600);
  const auto& rooms = f.at("classrooms").list_value();
  BOOST_REQUIRE(rooms.values_size() == 2);
  const auto& r = rooms.values(0).struct_value().fields();
  BOOST_TEST(r.at("tenant").string_value() == "acme");
  BOOST_TEST(r.at("id").string_value() == "room-1");
  BOOST_TEST(r.at("mode").string_value() == "one_on_one");
  BOOST_TEST(r.at("members").number_value() == 2);
  BOOST_TEST(r.at("online").number_value() == 2);
  BOOST_TEST(!rooms.values(1).struct_value().fields().at("answered").bool_value());
  const auto& workers = f.at("mediaWorkers").list_value();
  BOOST_REQUIRE(workers.values_size() == 2);
  BOOST_TEST(workers.values(0).struct_value().fields().at("port").number_value() == 40000);
  BOOST_TEST(workers.values(0).struct_value().fields().at("peers").number_value() == 3);
  BOOST_TEST(workers.values(0).struct_value().fields().at("rtpForwarded").number_value() == 160);
  BOOST_TEST(!workers.values(1).struct_value().fields().at("answered").bool_value());
  BOOST_TEST(f.at("callOutcomes").struct_value().fields().at("rejected").number_value() == 2);
  BOOST_TEST(f.at("requestsFailed").struct_value().fields().at("bad_request").number_value()
             == 3);
  BOOST_TEST(f.at("requestsFailed").struct_value().fields().size() == 1u);
}

BOOST_AUTO_TEST_CASE(admin_json_escapes_strings) {
  auto st = sample_status();
  st.node_name = "q\"b\\s\n\x01";
  auto json = node::render_admin_status(st, {}, {});
  google::protobuf::Struct s;
  BOOST_REQUIRE_MESSAGE(google::protobuf::util::JsonStringToMessage(json, &s).ok(), json);
  BOOST_TEST(s.fields().at("node").string_value() == st.node_name);
}

BOOST_AUTO_TEST_CASE(admin_status_is_for_loopback_unless_told_otherwise) {
  BOOST_TEST(node::admin_allowed(true, false));
  BOOST_TEST(!node::admin_allowed(false, false));  // another machine: 404
  BOOST_TEST(node::admin_allowed(false, true));    // --admin-bind-any
  BOOST_TEST(node::admin_allowed(true, true));
}

BOOST_AUTO_TEST_CASE(process_usage_reads_this_process) {
  auto p = node::read_process_usage();
  BOOST_TEST(p.resident_bytes > 1024u * 1024u);
  BOOST_TEST(p.cpu_seconds >= 0.0);
  // Burn CPU until the counter moves (it may tick coarsely), 2 s at most.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  volatile double x = 0;
  while (node::read_process_usage().cpu_seconds <= p.cpu_seconds
         && std::chrono::steady_clock::now() < until)
    for (int i = 0; i < 1'000'000; ++i)
      x = x + i;
  BOOST_TEST(node::read_process_usage().cpu_seconds > p.cpu_seconds);
}

BOOST_AUTO_TEST_SUITE_END()
