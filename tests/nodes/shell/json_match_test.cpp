#include <boost/test/unit_test.hpp>

#include "nodes/shell/json_match.hpp"
#include "nodes/shell/shell.hpp"

using namespace lamplight::shell;

namespace {

bool contains(const char* actual, const char* pattern) {
  auto a = parse_json(actual);
  auto p = parse_json(pattern);
  BOOST_REQUIRE(a && p);
  return json_contains(*a, *p);
}

} // namespace

BOOST_AUTO_TEST_SUITE(shell_json_match)

BOOST_AUTO_TEST_CASE(objects_match_by_subset) {
  BOOST_TEST(contains(R"({"a":{"b":1,"c":"x"},"d":true})", R"({"a":{"c":"x"}})"));
  BOOST_TEST(contains(R"({"a":1})", R"({})"));
  BOOST_TEST(!contains(R"({"a":{"b":1}})", R"({"a":{"b":2}})"));
  BOOST_TEST(!contains(R"({"a":1})", R"({"b":1})"));
  BOOST_TEST(!contains(R"({"a":"1"})", R"({"a":true})"));
}

BOOST_AUTO_TEST_CASE(lists_match_by_element) {
  BOOST_TEST(contains(R"({"m":[{"id":"a"},{"id":"b"}]})", R"({"m":[{"id":"b"}]})"));
  BOOST_TEST(!contains(R"({"m":[{"id":"a"}]})", R"({"m":[{"id":"c"}]})"));
}

BOOST_AUTO_TEST_CASE(numbers_match_int64_strings) {
  BOOST_TEST(contains(R"({"seq":"12"})", R"({"seq":12})"));
  BOOST_TEST(!contains(R"({"seq":"12"})", R"({"seq":13})"));
}

BOOST_AUTO_TEST_CASE(words_and_durations) {
  auto w = split_words(R"(expect t-ann {"a": {"b": 1}} )");
  BOOST_REQUIRE(w.size() == 3u);
  BOOST_TEST(w[2] == R"({"a": {"b": 1}})");
  auto q = split_words(R"(echo "two words" three)");
  BOOST_REQUIRE(q.size() == 3u);
  BOOST_TEST(q[1] == "two words");
  BOOST_TEST(parse_duration("2s")->count() == 2000);
  BOOST_TEST(parse_duration("250ms")->count() == 250);
  BOOST_TEST(parse_duration("40")->count() == 40);
  BOOST_TEST(!parse_duration("soon"));
  BOOST_TEST(!parse_duration("5h"));
}

BOOST_AUTO_TEST_SUITE_END()
