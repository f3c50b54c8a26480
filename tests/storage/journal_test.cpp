#include <boost/test/unit_test.hpp>

#include <fstream>

#include "storage/journal.hpp"
#include "tests/support/temp_dir.hpp"

namespace storage = lamplight::storage;
namespace sig = lamplight::signal::v1;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;

namespace {

sig::ClassroomEvent hand(uint64_t seq, const std::string& who) {
  sig::ClassroomEvent ev;
  ev.set_seq(seq);
  ev.mutable_hand_raised()->set_identity(who);
  return ev;
}

} // namespace

BOOST_AUTO_TEST_SUITE(journal)

BOOST_AUTO_TEST_CASE(crc32c_known_answer) {
  // RFC 3720 B.4: 32 bytes of zeros -> 0x8a9136aa.
  std::string zeros(32, '\0');
  BOOST_TEST(storage::crc32c(zeros.data(), zeros.size()) == 0x8a9136aau);
  BOOST_TEST(storage::crc32c("123456789", 9) == 0xe3069283u);
}

BOOST_AUTO_TEST_CASE(append_read_and_torn_tail) {
  temp_dir dir;
  auto path = dir.path / "t" / "c.journal";
  {
    storage::journal_writer w;
    BOOST_TEST((w.open(path, 0).code == errc::none));
    for (uint64_t i = 1; i <= 3; ++i)
      BOOST_TEST((w.append(hand(i, "s" + std::to_string(i))).code == errc::none));
  }
  auto r = storage::read_journal(path);
  BOOST_REQUIRE(bool(r));
  BOOST_TEST(r->events.size() == 3u);
  BOOST_TEST(!r->truncated_tail);
  auto good_size = r->valid_size;
  // A crash mid-write leaves a partial record.
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << std::string("\x40\x00\x00\x00\x12\x34", 6);
  }
  r = storage::read_journal(path);
  BOOST_REQUIRE(bool(r));
  BOOST_TEST(r->events.size() == 3u);
  BOOST_TEST(r->truncated_tail);
  BOOST_TEST(r->valid_size == good_size);
  {
    storage::journal_writer w;
    BOOST_TEST((w.open(path, r->valid_size).code == errc::none));
    BOOST_TEST((w.append(hand(4, "s4")).code == errc::none));
  }
  r = storage::read_journal(path);
  BOOST_REQUIRE(r->events.size() == 4u);
  BOOST_TEST(r->events[3].hand_raised().identity() == "s4");
  BOOST_TEST(!r->truncated_tail);
}

BOOST_AUTO_TEST_CASE(corrupt_record_stops_reading) {
  temp_dir dir;
  auto path = dir.path / "c.journal";
  {
    storage::journal_writer w;
    w.open(path, 0);
    w.append(hand(1, "a"));
    w.append(hand(2, "b"));
  }
  // Flip a byte inside the second record's payload.
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(-2, std::ios::end);
  f.put('X');
  f.close();
  auto r = storage::read_journal(path);
  BOOST_REQUIRE(bool(r));
  BOOST_TEST(r->events.size() == 1u);
  BOOST_TEST(r->truncated_tail);
}

BOOST_AUTO_TEST_CASE(not_a_journal) {
  temp_dir dir;
  auto path = dir.path / "x.journal";
  std::ofstream(path) << "hello, world";
  auto r = storage::read_journal(path);
  BOOST_REQUIRE(!bool(r));
  BOOST_TEST((r.err().code == errc::internal));
  BOOST_TEST((storage::read_journal(dir.path / "absent").err().code == errc::not_found));
}

BOOST_AUTO_TEST_SUITE_END()
