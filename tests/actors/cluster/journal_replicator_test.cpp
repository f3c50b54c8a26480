// The replica side of journal replication: what a peer's chunks do to the
// replica file (appended only at its end, started over on reset, refused
// when malformed), and photos kept once.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/base/errors.hpp"
#include "storage/journal.hpp"
#include "actors/cluster/journal_replicator.hpp"
#include "storage/photo_store.hpp"
#include "actors/system_setup.hpp"
#include "protocol/photo_transfer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace lamplight::actors;
namespace sig = lamplight::signal::v1;
using lamplight::protocol::errc;
namespace atoms = lamplight::atoms;
namespace storage = lamplight::storage;

namespace {

caf::actor_system_config& prepare(caf::actor_system_config& c) {
  add_lamplight_types(c);
  return c;
}

struct fixture {
  lamplight::test::temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{prepare(cfg)};
  std::shared_ptr<storage::photo_store> photos = std::make_shared<storage::photo_store>(dir.path / "photos");
  replicator_actor replicator;

  fixture() {
    replicator_config rc;
    rc.data_dir = dir.path;
    rc.photos = photos;
    replicator = spawn_replicator(sys, rc);
  }
  ~fixture() { caf::anon_send_exit(replicator, caf::exit_reason::user_shutdown); }

  /// The replica's size after the chunk, or the error code.
  std::variant<uint64_t, errc> store(const std::string& key, uint64_t offset,
                                     const std::string& bytes, bool reset = false) {
    caf::scoped_actor self{sys};
    std::variant<uint64_t, errc> out = errc::internal;
    self->request(replicator, std::chrono::seconds(5), atoms::store::value, key, offset, bytes, reset)
      .receive([&](uint64_t held) { out = held; },
               [&](caf::error& e) { out = to_protocol_error(e).code; });
    return out;
  }

  std::string replica(const std::string& tenant, const std::string& cls) {
    std::ifstream in(storage::journal_file(replica_root(dir.path), tenant, cls), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

bool is(const std::variant<uint64_t, errc>& v, uint64_t n) {
  return std::holds_alternative<uint64_t>(v) && std::get<uint64_t>(v) == n;
}

bool is_error(const std::variant<uint64_t, errc>& v, errc code) {
  return std::holds_alternative<errc>(v) && std::get<errc>(v) == code;
}

} // namespace

BOOST_AUTO_TEST_SUITE(journal_replicator_tests)

BOOST_AUTO_TEST_CASE(chunks_append_only_at_the_replica_s_end) {
  fixture f;
  BOOST_TEST(is(f.store("acme/c1", 0, "LLJRNL01abc", true), 11));
  BOOST_TEST(is(f.store("acme/c1", 11, "def"), 14));
  // Repeated (a retry after a lost answer): not written twice.
  BOOST_TEST(is(f.store("acme/c1", 11, "def"), 14));
  // Past the end (a lost request before it): refused, the size says where
  // to resume.
  BOOST_TEST(is(f.store("acme/c1", 20, "zzz"), 14));
  BOOST_TEST(f.replica("acme", "c1") == "LLJRNL01abcdef");
  // A new replica node starts over.
  BOOST_TEST(is(f.store("acme/c1", 0, "LLJRNL01x", true), 9));
  BOOST_TEST(f.replica("acme", "c1") == "LLJRNL01x");
  // An empty chunk asks the size.
  BOOST_TEST(is(f.store("acme/c1", 9, ""), 9));
}

BOOST_AUTO_TEST_CASE(malformed_chunks_are_refused_and_write_nothing) {
  fixture f;
  BOOST_TEST(is_error(f.store("../etc/c1", 0, "x", true), errc::bad_request));
  BOOST_TEST(is_error(f.store("acme", 0, "x", true), errc::bad_request));
  BOOST_TEST(is_error(f.store("acme/.hidden", 0, "x", true), errc::bad_request));
  BOOST_TEST(is_error(f.store("acme/c1", 0, std::string(max_replica_chunk + 1, 'x'), true),
                      errc::payload_too_large));
  BOOST_TEST(!std::filesystem::exists(replica_root(f.dir.path)));
}

BOOST_AUTO_TEST_CASE(photos_from_a_peer_are_kept_once) {
  fixture f;
  sig::PhotoRecord r;
  r.set_tenant("acme");
  r.set_classroom("c1");
  r.set_owner("s1");
  r.set_command_id("cmd-1");
  std::string jpeg(5000, '\xFF');
  r.set_photo_id(lamplight::protocol::sha256_hex(jpeg.data(), jpeg.size()));
  caf::scoped_actor self{f.sys};
  for (int i = 0; i < 2; ++i) {
    bool ok = false;
    self->request(f.replicator, std::chrono::seconds(5), atoms::store::value, r, jpeg)
      .receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
    BOOST_TEST(ok);
  }
  BOOST_TEST(f.photos->read("acme", r.photo_id()).value() == jpeg);
  BOOST_TEST(f.photos->records("acme", r.photo_id()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(without_a_cluster_a_flush_answers_at_once) {
  fixture f;
  caf::anon_send(f.replicator, atoms::replicate::value, std::string("acme/c1"), uint64_t{100}, false);
  caf::scoped_actor self{f.sys};
  bool ok = false;
  // Well inside the flush timeout (3 s): nothing waits for a replica that
  // no node can keep.
  self->request(f.replicator, std::chrono::seconds(2), atoms::flush::value)
    .receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
  BOOST_TEST(ok);
}

BOOST_AUTO_TEST_SUITE_END()
