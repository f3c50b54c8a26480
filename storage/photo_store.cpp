#include "storage/photo_store.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <google/protobuf/util/json_util.h>

#include "protocol/photo_transfer.hpp"

namespace lamplight::storage {

namespace pb = google::protobuf;
using protocol::errc;

namespace {

bool valid_tenant(const std::string& t) {
  if (t.empty() || t.size() > 64 || t[0] == '.' || t[0] == '-')
    return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

protocol::error errno_error(const std::string& what) {
  return protocol::error{errc::internal, what + ": " + std::strerror(errno)};
}

/// Writes all of `data` to `fd`; false on an error.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    auto n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void fsync_dir(const std::filesystem::path& dir) {
  if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
}

} // namespace

photo_store::photo_store(std::filesystem::path root) : root_(std::move(root)) {}

bool photo_store::valid_photo_id(const std::string& id) {
  if (id.size() != 64)
    return false;
  for (char c : id)
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f'))
      return false;
  return true;
}

protocol::result<std::string> photo_store::put(::lamplight::signal::v1::PhotoRecord record,
                                                const std::string& jpeg) {
  if (admit_)
    if (auto err = admit_(record.tenant(), static_cast<int64_t>(jpeg.size()));
        err.code != errc::none)
      return err;
  auto id = store(record, jpeg);
  if (id && hook_)
    hook_(record, jpeg);
  return id;
}

protocol::result<std::string>
photo_store::put_replica(::lamplight::signal::v1::PhotoRecord record, const std::string& jpeg) {
  return store(record, jpeg);
}

protocol::result<std::string> photo_store::store(::lamplight::signal::v1::PhotoRecord& record,
                                                  const std::string& jpeg) {
  if (!valid_tenant(record.tenant()))
    return protocol::error{errc::bad_request, "bad tenant for a photo"};
  auto id = protocol::sha256_hex(jpeg.data(), jpeg.size());
  record.set_photo_id(id);
  record.set_size(jpeg.size());
  auto dir = root_ / record.tenant();
  std::lock_guard<std::mutex> guard(mtx_);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return protocol::error{errc::internal, "cannot create " + dir.string() + ": " + ec.message()};
  auto final_path = dir / (id + ".jpg");
  if (!read(record.tenant(), id)) {
    auto tmp = dir / (id + ".jpg.tmp");
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
      return errno_error("cannot create " + tmp.string());
    bool ok = write_all(fd, jpeg.data(), jpeg.size()) && ::fsync(fd) == 0;
    auto err = errno;
    ::close(fd);
    if (!ok) {
      std::filesystem::remove(tmp, ec);
      errno = err;
      return errno_error("cannot write " + tmp.string());
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0)
      return errno_error("cannot rename " + tmp.string());
    fsync_dir(dir);
  }
  std::string line;
  pb::util::JsonPrintOptions opts;
  (void) pb::util::MessageToJsonString(record, &line, opts);
  line += '\n';
  auto meta = dir / (id + ".meta");
  bool fresh = !std::filesystem::exists(meta);
  int fd = ::open(meta.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0)
    return errno_error("cannot open " + meta.string());
  bool ok = write_all(fd, line.data(), line.size()) && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok)
    return errno_error("cannot append to " + meta.string());
  if (fresh)
    fsync_dir(dir);
  return id;
}

std::vector<::lamplight::signal::v1::PhotoRecord> photo_store::records(const std::string& tenant,
                                                          const std::string& photo_id) const {
  std::vector<::lamplight::signal::v1::PhotoRecord> out;
  if (!valid_tenant(tenant) || !valid_photo_id(photo_id))
    return out;
  std::ifstream in(root_ / tenant / (photo_id + ".meta"));
  std::string line;
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  while (std::getline(in, line)) {
    ::lamplight::signal::v1::PhotoRecord r;
    // A torn last line (a crash mid-append) is skipped, not fatal.
    if (pb::util::JsonStringToMessage(line, &r, opts).ok() && r.photo_id() == photo_id)
      out.push_back(std::move(r));
  }
  return out;
}

std::optional<std::string> photo_store::read(const std::string& tenant,
                                             const std::string& photo_id) const {
  if (!valid_tenant(tenant) || !valid_photo_id(photo_id))
    return std::nullopt;
  std::ifstream in(root_ / tenant / (photo_id + ".jpg"), std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  auto bytes = ss.str();
  if (protocol::sha256_hex(bytes.data(), bytes.size()) != photo_id)
    return std::nullopt;
  return bytes;
}

bool photo_store::has(const std::string& tenant, const std::string& classroom,
                      const std::string& owner, const std::string& photo_id) const {
  for (const auto& r : records(tenant, photo_id))
    if (r.classroom() == classroom && r.owner() == owner)
      return true;
  return false;
}

} // namespace lamplight::storage
