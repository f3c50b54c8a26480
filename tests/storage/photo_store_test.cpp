#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "storage/photo_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace storage = lamplight::storage;
using lamplight::protocol::errc;
using lamplight::test::temp_dir;
namespace sig = lamplight::signal::v1;

namespace {

sig::PhotoRecord record(const std::string& owner, const std::string& classroom = "c1") {
  sig::PhotoRecord r;
  r.set_tenant("acme");
  r.set_classroom(classroom);
  r.set_owner(owner);
  r.set_command_id("cmd-1");
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(photo_store_tests)

BOOST_AUTO_TEST_CASE(photos_are_stored_by_content_and_read_back) {
  lamplight::test::temp_dir dir;
  storage::photo_store store(dir.path);
  std::string jpeg(20000, '\xFF');
  auto id = store.put(record("s1"), jpeg);
  BOOST_REQUIRE(static_cast<bool>(id));
  BOOST_TEST(storage::photo_store::valid_photo_id(*id));
  BOOST_TEST(store.read("acme", *id).value() == jpeg);
  BOOST_TEST(store.has("acme", "c1", "s1", *id));
  BOOST_TEST(!store.has("acme", "c1", "s2", *id));
  BOOST_TEST(!store.has("acme", "c2", "s1", *id));
  BOOST_TEST(!store.read("other", *id).has_value());  // tenants do not share
  // The same bytes again (another lamp): one file, two records.
  BOOST_TEST(*store.put(record("s2", "c2"), jpeg) == *id);
  BOOST_TEST(store.records("acme", *id).size() == 2u);
  BOOST_TEST(store.has("acme", "c2", "s2", *id));
  // A second store on the same folder (a restarted node) sees it all.
  storage::photo_store again(dir.path);
  BOOST_TEST(again.read("acme", *id).value() == jpeg);
  BOOST_TEST(again.records("acme", *id).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_photo_the_tenants_quota_refuses_is_not_stored) {
  lamplight::test::temp_dir dir;
  storage::photo_store store(dir.path);
  std::vector<std::pair<std::string, int64_t>> asked;
  store.set_admission([&](const std::string& tenant, int64_t bytes) -> lamplight::protocol::error {
    asked.emplace_back(tenant, bytes);
    if (bytes > 1000)
      return {errc::resource_exhausted, "photo quota"};
    return {};
  });
  auto big = store.put(record("s1"), std::string(1001, '\xFF'));
  BOOST_TEST(!big);
  BOOST_TEST((big.err().code == errc::resource_exhausted));
  BOOST_TEST(!std::filesystem::exists(dir.path / "acme"));  // nothing written
  auto small = store.put(record("s1"), std::string(1000, '\xFF'));
  BOOST_REQUIRE(bool(small));
  // A replica was admitted where it was taken: not asked again.
  BOOST_TEST(bool(store.put_replica(record("s2"), std::string(5000, '\xFE'))));
  BOOST_TEST(asked.size() == 2u);
  BOOST_TEST(asked[0].first == "acme");
  BOOST_TEST(asked[0].second == 1001);
}

BOOST_AUTO_TEST_CASE(corruption_and_path_tricks_never_serve_wrong_bytes) {
  lamplight::test::temp_dir dir;
  storage::photo_store store(dir.path);
  auto id = *store.put(record("s1"), "original bytes");
  // A bit flipped on disk: not served as that photo.
  {
    std::ofstream f(dir.path / "acme" / (id + ".jpg"), std::ios::binary | std::ios::trunc);
    f << "original bytez";
  }
  BOOST_TEST(!store.read("acme", id).has_value());
  // A torn record line (crash mid-append) is skipped, the rest kept.
  {
    std::ofstream f(dir.path / "acme" / (id + ".meta"), std::ios::app);
    f << R"({"photoId":")" << id << R"(","tenant":"ac)";
  }
  BOOST_TEST(store.records("acme", id).size() == 1u);
  BOOST_TEST(store.records("acme", "../" + id.substr(3)).empty());
  BOOST_TEST(store.records("../acme", id).empty());
  BOOST_TEST(!store.read("acme", std::string(64, 'G')).has_value());
  auto bad = record("s1");
  bad.set_tenant("../etc");
  BOOST_TEST(!store.put(bad, "x"));
}

BOOST_AUTO_TEST_SUITE_END()
