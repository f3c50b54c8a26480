#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lamplight/signal/v1/photo.pb.h"
#include "protocol/errc.hpp"

namespace lamplight::storage {

/// Homework photos on disk, content-addressed per tenant:
///   <root>/<tenant>/<sha256>.jpg    the bytes, written once
///   <root>/<tenant>/<sha256>.meta   one PhotoRecord (JSON) per line: every
///                                   lamp, classroom and command that stored it
/// `put` returns only when both are durable: the photo is written to a
/// temporary file, fsync'd, renamed into place and the directory fsync'd
/// (a crash leaves the old state or the new, never a torn photo); the
/// record line is appended and fdatasync'd. A photo that is already there
/// is not written again. Thread-safe: the photo receivers of all classrooms
/// and the HTTP threads share one store.
class photo_store {
public:
  explicit photo_store(std::filesystem::path root);

  /// Stores `jpeg` (record.photo_id is set to its SHA-256); the photo id.
  /// Then hands the stored record and bytes to the replication hook, if set.
  protocol::result<std::string> put(::lamplight::signal::v1::PhotoRecord record, const std::string& jpeg);
  /// The same without the hook: a copy another node replicated here.
  protocol::result<std::string> put_replica(::lamplight::signal::v1::PhotoRecord record,
                                            const std::string& jpeg);

  /// Called after every put that stored (on the putting thread): how photos
  /// reach the node that keeps the classroom's journal replica. Set once,
  /// before the store is shared.
  using replication_hook =
    std::function<void(const ::lamplight::signal::v1::PhotoRecord&, const std::string& jpeg)>;
  void set_replication_hook(replication_hook hook) { hook_ = std::move(hook); }

  /// Asked before every put (not a replica: that photo was admitted where
  /// it was taken) whether the tenant may store `bytes` more; its error
  /// (the tenant's photo quota: resource_exhausted) refuses the photo.
  /// Set once, before the store is shared.
  using admission = std::function<protocol::error(const std::string& tenant, int64_t bytes)>;
  void set_admission(admission check) { admit_ = std::move(check); }

  /// Every record of a photo in a tenant; empty if there is none (or the id
  /// or tenant are not well formed: they never reach the file system then).
  std::vector<::lamplight::signal::v1::PhotoRecord> records(const std::string& tenant,
                                               const std::string& photo_id) const;
  /// The photo's bytes, checked against their id (a corrupted file is not
  /// served as the photo).
  std::optional<std::string> read(const std::string& tenant, const std::string& photo_id) const;

  /// Whether `owner` stored `photo_id` in `classroom` of `tenant`.
  bool has(const std::string& tenant, const std::string& classroom, const std::string& owner,
           const std::string& photo_id) const;

  static bool valid_photo_id(const std::string& id);

private:
  protocol::result<std::string> store(::lamplight::signal::v1::PhotoRecord& record,
                                      const std::string& jpeg);

  std::filesystem::path root_;
  replication_hook hook_;
  admission admit_;
  mutable std::mutex mtx_;  // one writer of a photo's files at a time
};

} // namespace lamplight::storage
