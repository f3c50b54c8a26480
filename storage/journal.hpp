#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lamplight/signal/v1/classroom.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::storage {

/// The append-only journal of one classroom: the file starts with the 8-byte
/// magic "LLJRNL01", then one record per ::lamplight::signal::v1::ClassroomEvent:
///   [u32 little-endian length][u32 little-endian CRC-32C of the bytes][bytes]
/// Each record goes out in one write(2), so a crash leaves at most one torn
/// record at the tail, which reading detects (length or CRC) and truncates.
class journal_writer {
public:
  journal_writer() = default;
  journal_writer(const journal_writer&) = delete;
  journal_writer& operator=(const journal_writer&) = delete;
  journal_writer(journal_writer&& other) noexcept;
  journal_writer& operator=(journal_writer&& other) noexcept;
  ~journal_writer();

  /// Opens `path` for appending at `valid_size` (what read_journal accepted;
  /// anything after it is cut off). Creates it with the magic if absent.
  protocol::error open(const std::filesystem::path& path, uint64_t valid_size);

  /// Appends one event (written to the OS before it returns).
  protocol::error append(const ::lamplight::signal::v1::ClassroomEvent& ev);

  /// fdatasync(2) if anything was appended since the last sync.
  protocol::error sync();

  /// Syncs and closes; further appends fail.
  void close();

  bool is_open() const { return fd_ >= 0; }
  uint64_t size() const { return size_; }
  uint64_t records() const { return records_; }

private:
  int fd_ = -1;
  bool dirty_ = false;
  uint64_t size_ = 0;
  uint64_t records_ = 0;
  std::filesystem::path path_;
};

/// What a journal holds.
struct journal_contents {
  std::vector<::lamplight::signal::v1::ClassroomEvent> events;
  /// Bytes of the valid prefix: where the writer appends next.
  uint64_t valid_size = 0;
  /// A torn or corrupt tail was found (and is ignored from valid_size on).
  bool truncated_tail = false;
};

/// Reads every valid record. errc::not_found if the file does not exist;
/// errc::internal if it is not a journal (bad magic) or cannot be read.
protocol::result<journal_contents> read_journal(const std::filesystem::path& path);

/// CRC-32C (Castagnoli), as in RFC 3720 B.4.
uint32_t crc32c(const void* data, std::size_t size);

/// Tenant and classroom ids become file names: only 1..64 of
/// [A-Za-z0-9._-], not starting with . or -, so no token (and no peer node)
/// can name a path outside the data directory.
bool valid_journal_id(const std::string& id);

/// "tenant/classroom": how a classroom is named across the node and the
/// cluster (placements, replicas, status).
std::string classroom_key(const std::string& tenant, const std::string& classroom);
/// The two ids of a key; false unless both are valid_journal_id.
bool split_classroom_key(const std::string& key, std::string& tenant, std::string& classroom);

/// root/<tenant>/<classroom>.journal: where a node keeps its own classrooms'
/// journals (root = data_dir/journal) and the replicas it holds for other
/// nodes (root = data_dir/replica).
std::filesystem::path journal_file(const std::filesystem::path& root, const std::string& tenant,
                                   const std::string& classroom);

/// Largest record accepted when reading (a longer length is corruption).
inline constexpr uint32_t max_journal_record = 16 * 1024 * 1024;

} // namespace lamplight::storage
