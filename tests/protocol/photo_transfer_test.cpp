#include <boost/test/unit_test.hpp>

#include "protocol/photo_transfer.hpp"

using namespace lamplight::protocol;
using status = photo_assembler::status;
namespace sig = lamplight::signal::v1;

namespace {

std::string begin_text(const std::string& cmd, const std::string& bytes,
                       const std::string& type = "image/jpeg") {
  sig::PhotoControl m;
  m.set_type("photo-begin");
  m.set_command_id(cmd);
  m.set_size(bytes.size());
  m.set_sha256(sha256_hex(bytes.data(), bytes.size()));
  m.set_width(64);
  m.set_height(48);
  m.set_content_type(type);
  return write_photo_control(m);
}

std::string end_text(const std::string& cmd) {
  return R"({"type":"photo-end","commandId":")" + cmd + R"("})";
}

status chunk(photo_assembler& a, const std::string& s) {
  return a.on_binary(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

} // namespace

BOOST_AUTO_TEST_SUITE(photo_transfer)

BOOST_AUTO_TEST_CASE(sha256_matches_the_fips_180_vector) {
  BOOST_TEST(sha256_hex("abc", 3)
             == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(an_upload_in_chunks_completes_when_size_and_hash_match) {
  std::string photo(100000, 'x');
  photo[777] = 'y';
  photo_assembler a;
  BOOST_TEST((a.on_text(begin_text("cmd-1", photo)) == status::receiving));
  BOOST_TEST(a.header().command_id() == "cmd-1");
  for (std::size_t at = 0; at < photo.size(); at += 16384)
    BOOST_TEST((chunk(a, photo.substr(at, 16384)) == status::receiving));
  BOOST_TEST((a.on_text(end_text("cmd-1")) == status::complete));
  BOOST_TEST(a.take() == photo);
  // Idle again: stray chunks are not part of anything.
  BOOST_TEST((chunk(a, "zz") == status::ignored));
}

BOOST_AUTO_TEST_CASE(browsers_json_with_numbers_and_extra_fields_is_understood) {
  std::string photo = "jpegbytes";
  auto text = R"({"type":"photo-begin","commandId":"c","size":9,"sha256":")"
              + sha256_hex(photo.data(), photo.size())
              + R"(","width":4032,"height":3024,"contentType":"image/jpeg","client":"chrome"})";
  photo_assembler a;
  BOOST_TEST((a.on_text(text) == status::receiving));
  BOOST_TEST(a.header().width() == 4032u);
  BOOST_TEST((chunk(a, photo) == status::receiving));
  BOOST_TEST((a.on_text(end_text("c")) == status::complete));
}

BOOST_AUTO_TEST_CASE(corrupted_short_or_long_uploads_fail_with_a_reason) {
  std::string photo(5000, 'p');
  {
    photo_assembler a;
    a.on_text(begin_text("c", photo));
    auto bad = photo;
    bad[10] = 'q';
    chunk(a, bad);
    BOOST_TEST((a.on_text(end_text("c")) == status::failed));
    BOOST_TEST(a.reason().find("SHA-256") != std::string::npos);
  }
  {
    photo_assembler a;
    a.on_text(begin_text("c", photo));
    chunk(a, photo.substr(0, 4000));  // interrupted
    BOOST_TEST((a.on_text(end_text("c")) == status::failed));
    BOOST_TEST(a.reason().find("4000 of 5000") != std::string::npos);
  }
  {
    photo_assembler a;
    a.on_text(begin_text("c", photo));
    chunk(a, photo);
    BOOST_TEST((chunk(a, "more") == status::failed));
  }
  {
    photo_assembler a;
    a.on_text(begin_text("c", photo));
    BOOST_TEST((chunk(a, std::string(photo_max_chunk + 1, 'x')) == status::failed));
  }
}

BOOST_AUTO_TEST_CASE(bad_begins_are_refused_and_junk_ignored) {
  photo_assembler a;
  BOOST_TEST((a.on_text(begin_text("c", "x", "image/png")) == status::failed));
  BOOST_TEST((a.on_text(begin_text("", "x")) == status::failed));
  BOOST_TEST((a.on_text(R"({"type":"photo-begin","commandId":"c","size":"99999999999"})")
              == status::failed));
  BOOST_TEST((a.on_text("not json") == status::ignored));
  BOOST_TEST((a.on_text(R"({"type":"chat","text":"hi"})") == status::ignored));
  BOOST_TEST((a.on_text(R"({"type":"photo-begin","size":{}})") == status::ignored));
  BOOST_TEST((a.on_text(end_text("c")) == status::ignored));
}

BOOST_AUTO_TEST_CASE(a_new_begin_restarts_an_interrupted_upload) {
  std::string photo(3000, 'r');
  photo_assembler a;
  a.on_text(begin_text("c", photo));
  chunk(a, photo.substr(0, 1000));
  // The lamp lost its connection and tries again from the start.
  BOOST_TEST((a.on_text(begin_text("c", photo)) == status::receiving));
  chunk(a, photo);
  BOOST_TEST((a.on_text(end_text("c")) == status::complete));
  BOOST_TEST(a.take().size() == 3000u);
}

BOOST_AUTO_TEST_CASE(only_lamplight_labels_are_the_nodes_own) {
  BOOST_TEST(is_node_channel("lamplight.photo"));
  BOOST_TEST(!is_node_channel("classroom"));
  BOOST_TEST(!is_node_channel("lamplight"));
}

BOOST_AUTO_TEST_SUITE_END()
