#include "actors/cluster/journal_replicator.hpp"

#include <cerrno>
#include <map>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/errors.hpp"
#include "storage/journal.hpp"
#include "storage/photo_store.hpp"

namespace lamplight::actors {

std::filesystem::path replica_root(const std::filesystem::path& data_dir) {
  return data_dir / "replica";
}

namespace {

using protocol::errc;

constexpr auto cluster_timeout = std::chrono::seconds(2);
constexpr auto peer_timeout = std::chrono::seconds(5);
/// Photos that could not be shipped yet wait in memory, this many at most
/// (they stay in this node's store either way).
constexpr std::size_t max_pending_photos = 256;
/// The timer's period: retries go at retry_interval, a flush's deadline is
/// checked on every tick.
constexpr auto tick = std::chrono::milliseconds(100);

/// One of this node's journals.
struct shipped {
  uint64_t end = 0;      // its size, as last told
  uint64_t acked = 0;    // what the replica holds
  std::string target;    // the replica's node ("": not chosen yet)
  bool reset = true;     // the next chunk starts the replica over
  bool inflight = false;
  bool last = false;     // closed: forget once replicated
  bool orphan = false;   // no other node to keep a replica (as last asked)
};

struct pending_photo {
  ::lamplight::signal::v1::PhotoRecord record;
  std::string jpeg;
};

struct replicator_state {
  replicator_config cfg;
  std::map<std::string, shipped> journals;  // "tenant/classroom"
  std::vector<pending_photo> photos;
  std::vector<caf::typed_response_promise<caf::ok_atom>> flushes;
  std::chrono::steady_clock::time_point flush_deadline;
  std::chrono::steady_clock::time_point next_retry;
  uint64_t shipped_bytes = 0;
  static inline const char* name = "lamplight.replicator";
};

using self_ptr = replicator_actor::stateful_pointer<replicator_state>;

/// Up to max_replica_chunk bytes of `path` from `offset` (empty at its end
/// or if it cannot be read: the next attempt tries again).
std::string read_chunk(const std::filesystem::path& path, uint64_t offset) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > offset) {
    out.resize(std::min<uint64_t>(max_replica_chunk, st.st_size - offset));
    auto n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::close(fd);
  return out;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    auto k = ::write(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return false;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

/// Appends `bytes` to the replica at `offset` if that is where it ends (or
/// starts it over with them); how long the replica is afterwards.
protocol::result<uint64_t> store_chunk(const std::filesystem::path& path, uint64_t offset,
                                       const std::string& bytes, bool reset) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (reset ? O_TRUNC : 0), 0640);
  if (fd < 0)
    return protocol::error{errc::internal, "cannot open replica " + path.string()};
  struct stat st {};
  uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if ((reset || offset == size) && !bytes.empty()) {
    bool ok = ::lseek(fd, static_cast<off_t>(size), SEEK_SET) >= 0
              && write_all(fd, bytes.data(), bytes.size()) && ::fdatasync(fd) == 0;
    if (!ok) {
      // Keep the replica a prefix of the journal: drop a partial write.
      (void) ::ftruncate(fd, static_cast<off_t>(size));
      ::close(fd);
      return protocol::error{errc::internal, "cannot write replica " + path.string()};
    }
    size += bytes.size();
  }
  ::close(fd);
  return size;
}

void answer_flushes(self_ptr self, bool force) {
  auto& st = self->state;
  if (st.flushes.empty())
    return;
  bool done = true;
  for (const auto& [key, j] : st.journals)
    if (!j.orphan && (j.acked < j.end || j.reset))
      done = false;
  if (!done && !force)
    return;
  for (auto& rp : st.flushes)
    rp.deliver(caf::ok_atom::value);
  st.flushes.clear();
}

void pump(self_ptr self, const std::string& key);

/// Ships the next chunk of `key` to `peer` (node `name`).
void ship(self_ptr self, const std::string& key, const std::string& name,
          const replica_host_actor& peer) {
  auto& st = self->state;
  auto i = st.journals.find(key);
  if (i == st.journals.end())
    return;
  auto& j = i->second;
  if (name != j.target) {  // a new replica node: it gets the whole file
    j.target = name;
    j.acked = 0;
    j.reset = true;
  }
  std::string tenant, cls;
  storage::split_classroom_key(key, tenant, cls);
  auto bytes = read_chunk(storage::journal_file(st.cfg.data_dir / "journal", tenant, cls), j.acked);
  if (bytes.empty() && !j.reset) {
    j.inflight = false;
    j.end = j.acked;  // nothing past it on disk (yet)
    answer_flushes(self, false);
    return;
  }
  auto offset = j.acked;
  auto len = bytes.size();
  bool reset = j.reset;
  self->request(peer, peer_timeout, atoms::store::value, key,
                offset, std::move(bytes), reset)
    .then(
      [=](uint64_t held) {
        auto k = self->state.journals.find(key);
        if (k == self->state.journals.end())
          return;
        auto& e = k->second;
        e.inflight = false;
        if (held > offset)
          self->state.shipped_bytes += std::min<uint64_t>(held - offset, len);
        if (e.target != name)
          return pump(self, key);
        if (held > offset + len) {
          e.reset = true;  // it holds more than we sent: not our prefix, start over
        } else {
          e.reset = false;
          e.acked = held;
        }
        if (e.acked < e.end || e.reset)
          return pump(self, key);
        if (e.last)
          self->state.journals.erase(k);
        answer_flushes(self, false);
      },
      [=](caf::error&) {
        // Retried by the timer (the peer may be gone: the cluster then
        // names another).
        if (auto k = self->state.journals.find(key); k != self->state.journals.end())
          k->second.inflight = false;
      });
}

void pump(self_ptr self, const std::string& key) {
  auto& st = self->state;
  auto i = st.journals.find(key);
  if (i == st.journals.end() || i->second.inflight)
    return;
  if (!st.cfg.cluster) {  // no cluster: the journal stays on this node
    i->second.orphan = true;
    return;
  }
  i->second.inflight = true;
  self->request(st.cfg.cluster, cluster_timeout, atoms::replica::value, key)
    .then(
      [=](std::string& name, replica_host_actor& peer) {
        if (auto k = self->state.journals.find(key); k != self->state.journals.end())
          k->second.orphan = false;
        ship(self, key, name, peer);
      },
      [=](caf::error&) {
        // No other room node (yet): retried by the timer; nothing to wait
        // for meanwhile (a node alone keeps its journals on its disk).
        auto k = self->state.journals.find(key);
        if (k == self->state.journals.end())
          return;
        k->second.inflight = false;
        k->second.orphan = true;
        if (k->second.last)
          self->state.journals.erase(k);
        answer_flushes(self, false);
      });
}

void ship_photo(self_ptr self, pending_photo p) {
  auto& st = self->state;
  if (!st.cfg.cluster)
    return;
  auto key = storage::classroom_key(p.record.tenant(), p.record.classroom());
  auto shared = std::make_shared<pending_photo>(std::move(p));
  auto requeue = [=](caf::error&) {
    if (self->state.photos.size() < max_pending_photos)
      self->state.photos.push_back(*shared);
  };
  self->request(st.cfg.cluster, cluster_timeout, atoms::replica::value, key)
    .then(
      [=](std::string&, replica_host_actor& peer) {
        self->request(peer, peer_timeout, atoms::store::value,
                      shared->record, shared->jpeg)
          .then([](caf::ok_atom) {}, requeue);
      },
      requeue);
}

replicator_actor::behavior_type replicator_impl(self_ptr self, replicator_config cfg) {
  self->state.cfg = std::move(cfg);
  self->send(self, atoms::timeout::value);
  return {
    [=](atoms::replicate, const std::string& key, uint64_t size, bool last) {
      auto& j = self->state.journals[key];
      j.end = std::max(j.end, size);
      j.last = j.last || last;
      pump(self, key);
    },
    [=](atoms::replicate, ::lamplight::signal::v1::PhotoRecord& record, std::string& jpeg) {
      ship_photo(self, {std::move(record), std::move(jpeg)});
    },
    [=](atoms::store, const std::string& key, uint64_t offset, const std::string& bytes,
        bool reset) -> caf::result<uint64_t> {
      std::string tenant, cls;
      if (!storage::split_classroom_key(key, tenant, cls))
        return make_error(errc::bad_request, "bad replica key");
      if (bytes.size() > max_replica_chunk)
        return make_error(errc::payload_too_large, "replica chunk too large");
      auto held = store_chunk(storage::journal_file(replica_root(self->state.cfg.data_dir), tenant, cls),
                              offset, bytes, reset);
      if (!held)
        return make_error(held.err().code, held.err().message);
      return *held;
    },
    [=](atoms::store, ::lamplight::signal::v1::PhotoRecord& record,
        const std::string& jpeg) -> caf::result<caf::ok_atom> {
      auto& photos = self->state.cfg.photos;
      if (!photos)
        return make_error(errc::unavailable, "this node keeps no photos");
      if (photos->has(record.tenant(), record.classroom(), record.owner(), record.photo_id()))
        return caf::ok_atom::value;
      auto id = photos->put_replica(record, jpeg);
      if (!id)
        return make_error(id.err().code, id.err().message);
      return caf::ok_atom::value;
    },
    [=](atoms::flush) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<caf::ok_atom>();
      if (st.flushes.empty())
        st.flush_deadline = std::chrono::steady_clock::now() + st.cfg.flush_timeout;
      st.flushes.push_back(rp);
      for (auto& [key, j] : st.journals)
        pump(self, key);
      answer_flushes(self, false);
      return rp;
    },
    [=](caf::get_atom) {
      auto& st = self->state;
      replication_status out;
      out.photos_pending = static_cast<uint32_t>(st.photos.size());
      out.shipped_bytes = st.shipped_bytes;
      for (const auto& [key, j] : st.journals) {
        ++out.journals;
        if (j.orphan)
          ++out.without_replica;
        else if (!j.reset && j.acked >= j.end)
          ++out.current;
        else
          out.behind_bytes += j.end - std::min(j.acked, j.end);
      }
      return out;
    },
    [=](atoms::timeout) {
      auto& st = self->state;
      if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(self))
        return;
      auto now = std::chrono::steady_clock::now();
      self->delayed_send(self, tick, atoms::timeout::value);
      if (!st.flushes.empty())
        answer_flushes(self, now >= st.flush_deadline);
      if (now < st.next_retry)
        return;
      st.next_retry = now + st.cfg.retry_interval;
      // Every journal asks the cluster again: a replica node that died or a
      // better one that joined changes the target, which then gets the
      // whole file.
      for (auto& [key, j] : st.journals)
        pump(self, key);
      auto retry = std::move(st.photos);
      st.photos.clear();
      for (auto& p : retry)
        ship_photo(self, std::move(p));
    },
  };
}

} // namespace

replicator_actor spawn_replicator(caf::actor_system& sys, replicator_config cfg) {
  return sys.spawn<caf::detached>(replicator_impl, std::move(cfg));
}

} // namespace lamplight::actors
