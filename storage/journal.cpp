#include "storage/journal.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamplight::storage {

namespace {

constexpr char magic[8] = {'L', 'L', 'J', 'R', 'N', 'L', '0', '1'};

using protocol::errc;
using protocol::error;

error sys_error(const std::string& what, const std::filesystem::path& p) {
  return error{errc::internal, what + " " + p.string() + ": " + std::strerror(errno)};
}

void put_u32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t get_u32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    auto k = ::write(fd, data, n);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

} // namespace

bool valid_journal_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-')
    return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::string classroom_key(const std::string& tenant, const std::string& classroom) {
  return tenant + "/" + classroom;
}

bool split_classroom_key(const std::string& key, std::string& tenant, std::string& classroom) {
  auto slash = key.find('/');
  if (slash == std::string::npos)
    return false;
  tenant = key.substr(0, slash);
  classroom = key.substr(slash + 1);
  return valid_journal_id(tenant) && valid_journal_id(classroom);
}

std::filesystem::path journal_file(const std::filesystem::path& root, const std::string& tenant,
                                   const std::string& classroom) {
  return root / tenant / (classroom + ".journal");
}

uint32_t crc32c(const void* data, std::size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  auto* p = static_cast<const uint8_t*>(data);
  for (std::size_t i = 0; i < size; ++i)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

journal_writer::journal_writer(journal_writer&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)),
    dirty_(other.dirty_),
    size_(other.size_),
    records_(other.records_),
    path_(std::move(other.path_)) {}

journal_writer& journal_writer::operator=(journal_writer&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    dirty_ = other.dirty_;
    size_ = other.size_;
    records_ = other.records_;
    path_ = std::move(other.path_);
  }
  return *this;
}

journal_writer::~journal_writer() {
  close();
}

error journal_writer::open(const std::filesystem::path& path, uint64_t valid_size) {
  close();
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return error{errc::internal, "cannot create " + path.parent_path().string() + ": "
                                   + ec.message()};
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return sys_error("cannot open journal", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return sys_error("cannot stat journal", path);
  }
  if (st.st_size == 0 || valid_size < sizeof(magic)) {
    if (::ftruncate(fd, 0) != 0 || !write_all(fd, magic, sizeof(magic))) {
      ::close(fd);
      return sys_error("cannot initialize journal", path);
    }
    valid_size = sizeof(magic);
  } else if (static_cast<uint64_t>(st.st_size) != valid_size) {
    // Cut off a torn tail so the next record follows the last good one.
    if (::ftruncate(fd, static_cast<off_t>(valid_size)) != 0) {
      ::close(fd);
      return sys_error("cannot truncate journal", path);
    }
  }
  if (::lseek(fd, static_cast<off_t>(valid_size), SEEK_SET) < 0) {
    ::close(fd);
    return sys_error("cannot seek journal", path);
  }
  fd_ = fd;
  size_ = valid_size;
  path_ = path;
  dirty_ = true;
  // Make the file's directory entry durable too.
  if (int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return sync();
}

error journal_writer::append(const ::lamplight::signal::v1::ClassroomEvent& ev) {
  if (fd_ < 0)
    return error{errc::internal, "journal is closed"};
  auto bytes = ev.SerializeAsString();
  if (bytes.size() > max_journal_record)
    return error{errc::payload_too_large, "event too large for the journal"};
  std::string record(8 + bytes.size(), '\0');
  put_u32(record.data(), static_cast<uint32_t>(bytes.size()));
  put_u32(record.data() + 4, crc32c(bytes.data(), bytes.size()));
  std::memcpy(record.data() + 8, bytes.data(), bytes.size());
  if (!write_all(fd_, record.data(), record.size())) {
    auto err = sys_error("cannot append to journal", path_);
    // Keep the file a valid prefix: drop whatever part of the record landed.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0)
      ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    return err;
  }
  size_ += record.size();
  ++records_;
  dirty_ = true;
  return {};
}

error journal_writer::sync() {
  if (fd_ < 0 || !dirty_)
    return {};
  if (::fdatasync(fd_) != 0)
    return sys_error("cannot sync journal", path_);
  dirty_ = false;
  return {};
}

void journal_writer::close() {
  if (fd_ < 0)
    return;
  sync();
  ::close(fd_);
  fd_ = -1;
}

protocol::result<journal_contents> read_journal(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return error{errc::not_found, "no journal at " + path.string()};
    return sys_error("cannot read journal", path);
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  journal_contents out;
  if (data.empty())
    return out;  // created but never written: the writer starts it afresh
  if (data.size() < sizeof(magic) || std::memcmp(data.data(), magic, sizeof(magic)) != 0)
    return error{errc::internal, path.string() + " is not a lamplight journal"};
  std::size_t pos = sizeof(magic);
  while (pos < data.size()) {
    if (data.size() - pos < 8)
      break;
    auto len = get_u32(data.data() + pos);
    auto crc = get_u32(data.data() + pos + 4);
    if (len > max_journal_record || data.size() - pos - 8 < len)
      break;
    const char* body = data.data() + pos + 8;
    if (crc32c(body, len) != crc)
      break;
    ::lamplight::signal::v1::ClassroomEvent ev;
    if (!ev.ParseFromArray(body, static_cast<int>(len)))
      break;
    out.events.push_back(std::move(ev));
    pos += 8 + len;
  }
  out.valid_size = pos;
  out.truncated_tail = pos != data.size();
  return out;
}

} // namespace lamplight::storage
