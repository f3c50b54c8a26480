#include "actors/node/directory_actor.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/base/clock.hpp"
#include "actors/base/errors.hpp"
#include "storage/journal.hpp"

namespace lamplight::actors {

namespace {

using protocol::errc;

constexpr auto classroom_timeout = std::chrono::seconds(5);
/// Shorter for status: the health and metrics endpoints wait 2 s for the
/// whole answer, so one stuck classroom must not make the node look down.
constexpr auto status_timeout = std::chrono::seconds(1);

struct directory_state {
  directory_config cfg;
  std::map<std::string, classroom_actor> classrooms;  // "tenant/classroom"
  std::map<std::string, dispatcher_actor> dispatchers;  // tenant
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Tallies (classrooms' call outcomes, gateway sessions' errors): kept
  // here, not in the classrooms, so they outlive those that reported them.
  std::vector<uint64_t> call_outcomes = std::vector<uint64_t>(call_outcome_count);
  std::vector<uint64_t> requests_failed =
    std::vector<uint64_t>(protocol::errc_count);
  /// Journals found at start were rebuilt (in a cluster, once it said which).
  bool rebuilt = false;
  /// Classrooms being handed over (drain), and those handed over: not
  /// opened here (a client that asks before its node learnt where they went
  /// gets errc::unavailable and asks again), unless they come back.
  std::set<std::string> moving;
  std::set<std::string> moved_away;
  /// Shutting down: no classroom is opened or rebuilt here any more (the
  /// cluster moves them once this node has left).
  bool stopping = false;
  static inline const char* name = "lamplight.directory";
};

using self_ptr = directory_actor::stateful_pointer<directory_state>;

bool valid_id(const std::string& id) {
  return storage::valid_journal_id(id);
}

std::string key(const std::string& tenant, const std::string& cls) {
  return storage::classroom_key(tenant, cls);
}

std::filesystem::path journal_path(const directory_config& cfg, const std::string& tenant,
                                   const std::string& cls) {
  return storage::journal_file(cfg.data_dir / "journal", tenant, cls);
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

caf::expected<classroom_actor> start_classroom(self_ptr self, classroom_spec spec,
                                               bool adopted = false) {
  auto& st = self->state;
  if (!valid_id(spec.tenant) || !valid_id(spec.classroom_id))
    return make_error(errc::bad_request,
                      "tenant and classroom ids need 1..64 of [A-Za-z0-9._-], not starting with . or -");
  if (st.classrooms.count(key(spec.tenant, spec.classroom_id)))
    return make_error(errc::already_exists, "classroom " + spec.classroom_id + " exists");
  classroom_config cfg;
  cfg.journal_path = journal_path(st.cfg, spec.tenant, spec.classroom_id);
  cfg.absent_grace = st.cfg.absent_grace;
  cfg.flush_interval = st.cfg.flush_interval;
  cfg.device_deadline = st.cfg.timeouts.device_deadline;
  cfg.rtc = st.cfg.rtc;
  cfg.photos = st.cfg.photos;
  cfg.replicator = st.cfg.replicator;
  cfg.tally = directory_actor{self};
  cfg.history = st.cfg.history;
  cfg.adopted = adopted;
  cfg.spec = spec;
  auto c = spawn_classroom(self->system(), std::move(cfg));
  if (!c)
    return c;
  self->monitor(*c);
  st.classrooms.emplace(key(spec.tenant, spec.classroom_id), *c);
  if (st.cfg.cluster)  // the cluster learns where it lives
    caf::anon_send(st.cfg.cluster, atoms::placed::value, key(spec.tenant, spec.classroom_id),
                   st.cfg.node_name);
  return c;
}

/// The spec of a journal's classroom if it holds one that is not closed.
std::optional<classroom_spec> open_classroom_in(const std::filesystem::path& file) {
  auto contents = storage::read_journal(file);
  if (!contents || contents->events.empty() || !contents->events[0].has_created()
      || contents->events.back().has_closed())
    return std::nullopt;
  const auto& created = contents->events[0].created();
  return classroom_spec{created.tenant(), created.classroom_id(), created.mode(),
                        created.capacity(), created.provider()};
}

/// Moves a journal out of the way (kept for an operator, never reread).
void set_aside(const std::filesystem::path& file, const char* why) {
  std::error_code ec;
  std::filesystem::rename(file, file.string() + "." + why + "-" + std::to_string(wall_ms()), ec);
}

/// Brings back every classroom whose journal is under the data directory and
/// that was not closed, but those the cluster placed elsewhere meanwhile.
void rebuild(self_ptr self, const std::vector<std::string>& elsewhere) {
  self->state.rebuilt = true;
  std::error_code ec;
  auto root = self->state.cfg.data_dir / "journal";
  if (!std::filesystem::is_directory(root, ec))
    return;
  for (auto& tenant_dir : std::filesystem::directory_iterator(root, ec)) {
    if (!tenant_dir.is_directory())
      continue;
    for (auto& f : std::filesystem::directory_iterator(tenant_dir.path(), ec)) {
      if (f.path().extension() != ".journal")
        continue;
      auto spec = open_classroom_in(f.path());
      if (!spec || f.path() != journal_path(self->state.cfg, spec->tenant, spec->classroom_id))
        continue;  // closed, not a journal, or a file that does not belong where it lies
      auto k = key(spec->tenant, spec->classroom_id);
      if (self->state.classrooms.count(k))
        continue;
      if (std::find(elsewhere.begin(), elsewhere.end(), k) != elsewhere.end()) {
        // Rebuilt on another node from its replica while this one was away:
        // that copy goes on; this older one must not come back.
        set_aside(f.path(), "moved");
        continue;
      }
      auto c = start_classroom(self, *spec);
      if (!c)
        std::fprintf(stderr, "lamplight: cannot rebuild %s: %s\n", f.path().c_str(),
                     to_protocol_error(c.error()).message.c_str());
    }
  }
}

/// Rebuilds a classroom from the replica this node holds for it: its node
/// died or left and the cluster moved it here. errc::classroom_not_found
/// without a replica of an open classroom.
caf::expected<classroom_actor> adopt(self_ptr self, const std::string& tenant,
                                     const std::string& cls) {
  auto& st = self->state;
  if (auto i = st.classrooms.find(key(tenant, cls)); i != st.classrooms.end())
    return i->second;
  if (!valid_id(tenant) || !valid_id(cls))
    return make_error(errc::bad_request, "bad tenant or classroom id");
  if (st.stopping)
    return make_error(errc::unavailable, "node " + st.cfg.node_name + " is shutting down");
  auto from = storage::journal_file(replica_root(st.cfg.data_dir), tenant, cls);
  auto spec = open_classroom_in(from);
  if (spec)
    st.moved_away.erase(key(tenant, cls));  // it came back
  if (!spec || spec->tenant != tenant || spec->classroom_id != cls)
    return make_error(errc::classroom_not_found, "no replica of classroom " + cls + " here");
  auto to = journal_path(st.cfg, tenant, cls);
  std::error_code ec;
  if (std::filesystem::exists(to, ec))
    set_aside(to, "replaced");  // an older copy of our own, from before it moved
  std::filesystem::create_directories(to.parent_path(), ec);
  std::filesystem::rename(from, to, ec);
  if (ec)
    return make_error(errc::internal, "cannot take over " + from.string() + ": " + ec.message());
  return start_classroom(self, *spec, true);
}

/// How long a directory waits for the cluster actor or another node's
/// directory.
constexpr auto cluster_timeout = std::chrono::seconds(5);

/// Opens the classroom on this node: the one it has, or a new one when the
/// claims are a teacher's (or assistant's) and carry a mode.
caf::expected<classroom_actor> open_here(self_ptr self, const protocol::token_claims& who) {
  auto& st = self->state;
  if (auto i = st.classrooms.find(key(who.tenant, who.classroom)); i != st.classrooms.end())
    return i->second;
  if (st.stopping)
    return make_error(errc::unavailable, "node " + st.cfg.node_name + " is shutting down");
  auto k = key(who.tenant, who.classroom);
  if (st.moving.count(k) || st.moved_away.count(k))
    return make_error(errc::unavailable, "classroom " + who.classroom + " moved to another node");
  // Moved here from a node that is gone, and not rebuilt yet: do it now.
  if (auto c = adopt(self, who.tenant, who.classroom); c)
    return c;
  // A classroom its institution scheduled opens for any of its members, as
  // the institution set it up; one it ended stays shut.
  if (st.cfg.scheduled)
    if (auto rec = st.cfg.scheduled->find(who.tenant, who.classroom)) {
      if (rec->has_ended_at())
        return make_error(errc::wrong_state,
                          "classroom " + who.classroom + " was ended by its institution");
      return start_classroom(self, classroom_spec{who.tenant, who.classroom,
                                                  protocol::mode_from_name(rec->mode()),
                                                  rec->capacity(), rec->provider()});
    }
  bool staff = who.role == signal::ROLE_TEACHER || who.role == signal::ROLE_ASSISTANT;
  if (!staff || who.mode == signal::MODE_UNSPECIFIED)
    return make_error(errc::classroom_not_found,
                      "classroom " + who.classroom + " does not exist (yet)");
  return start_classroom(self, classroom_spec{who.tenant, who.classroom, who.mode, 0, who.provider});
}

/// Drain: hands every classroom here over to its replica's node (see
/// directory_actor). Three steps, each for all classrooms at once: flush
/// and stop them; bring the replicas up to date; move them in the cluster.
caf::result<std::vector<std::string>> hand_over_all(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.cluster || !st.cfg.replicator)
    return make_error(errc::unavailable, "no cluster to move classrooms to");
  auto rp = self->make_response_promise<std::vector<std::string>>();
  std::vector<std::pair<std::string, classroom_actor>> all;
  for (auto& [k, c] : st.classrooms)
    if (!st.moving.count(k))
      all.emplace_back(k, c);
  if (all.empty()) {
    rp.deliver(std::vector<std::string>{});
    return rp;
  }
  auto moved = std::make_shared<std::vector<std::string>>();
  auto pending = std::make_shared<std::size_t>(all.size());
  auto one_moved = [=](const std::string& k, bool ok) mutable {
    auto& s = self->state;
    s.moving.erase(k);
    std::string tenant, cls;
    storage::split_classroom_key(k, tenant, cls);  // a key of ours: valid
    if (ok) {
      moved->push_back(k);
      s.moved_away.insert(k);
      set_aside(journal_path(s.cfg, tenant, cls), "moved");
    } else if (auto c = open_classroom_in(journal_path(s.cfg, tenant, cls)); c) {
      start_classroom(self, *c);  // nowhere to go: it goes on here
    }
    if (--*pending == 0) {
      std::sort(moved->begin(), moved->end());
      rp.deliver(*moved);
    }
  };
  auto hand_over = [=]() mutable {
    self->request(self->state.cfg.replicator, classroom_timeout, atoms::flush::value)
      .then(
        [=](caf::ok_atom) mutable {
          for (auto& kc : all) {
            auto k = kc.first;
            self->request(self->state.cfg.cluster, cluster_timeout, atoms::handover::value, k)
              .then([=](const std::string&) mutable { one_moved(k, true); },
                    [=](caf::error&) mutable { one_moved(k, false); });
          }
        },
        [=](caf::error&) mutable {
          for (auto& kc : all)
            one_moved(kc.first, false);
        });
  };
  auto stopped = std::make_shared<std::size_t>(all.size());
  for (auto& [k, c] : all) {
    st.moving.insert(k);
    // Flushed or not (it did not answer), it stops; its participants see
    // the reason and look for it again.
    auto stop = [=, room = c]() mutable {
      self->send_exit(room, classroom_moved());
      if (--*stopped == 0)
        hand_over();
    };
    self->request(c, classroom_timeout, atoms::flush::value)
      .then([=](caf::ok_atom) mutable { stop(); }, [=](caf::error&) mutable { stop(); });
  }
  return rp;
}

/// Classrooms (each asked, status_timeout at most), media workers, tallies,
/// then the membership table and the replication state.
caf::result<node_status> status(self_ptr self) {
  auto& st = self->state;
  auto rp = self->make_response_promise<node_status>();
  // The membership table and the replication state last (half a second
  // at most each: they are this node's own actors, whose answers do not
  // cross the network).
  auto with_replication = [=](node_status out) mutable {
    if (!self->state.cfg.replicator) {
      rp.deliver(std::move(out));
      return;
    }
    self->request(self->state.cfg.replicator, std::chrono::milliseconds(500),
                  caf::get_atom::value)
      .then(
        [=](replication_status& r) mutable {
          out.replication = r;
          rp.deliver(std::move(out));
        },
        [=](caf::error&) mutable { rp.deliver(std::move(out)); });
  };
  auto deliver = [=](node_status out) mutable {
    if (!self->state.cfg.cluster) {
      with_replication(std::move(out));
      return;
    }
    self->request(self->state.cfg.cluster, std::chrono::milliseconds(500), caf::get_atom::value)
      .then(
        [=](std::vector<member_view>& members) mutable {
          out.cluster = std::move(members);
          with_replication(std::move(out));
        },
        [=](caf::error&) mutable { with_replication(std::move(out)); });
  };
  node_status base;
  base.node_name = st.cfg.node_name;
  base.data_dir = st.cfg.data_dir.string();
  base.classrooms = static_cast<uint32_t>(st.classrooms.size());
  base.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now() - st.started)
                    .count();
  base.call_outcomes = st.call_outcomes;
  base.requests_failed = st.requests_failed;
  // Port and peer count are plain reads, safe from this thread; the
  // workers' packet counters are the HTTP side's to ask (a blocking call).
  if (st.cfg.rtc.sfu)
    for (const auto& w : st.cfg.rtc.sfu->workers())
      base.media_workers.push_back({w->port(), static_cast<uint32_t>(w->peer_count())});
  for (const auto& [k, c] : st.classrooms) {
    classroom_status row;
    storage::split_classroom_key(k, row.tenant, row.classroom_id);
    base.rooms.push_back(std::move(row));
  }
  if (st.classrooms.empty()) {
    deliver(std::move(base));
    return rp;
  }
  // Ask every classroom; one that does not answer in time counts as empty.
  auto acc = std::make_shared<node_status>(std::move(base));
  auto pending = std::make_shared<size_t>(st.classrooms.size());
  auto one_done = [=]() mutable {
    if (--*pending == 0)
      deliver(*acc);
  };
  std::size_t index = 0;
  for (auto& [k, c] : st.classrooms) {
    auto row = index++;
    self->request(c, status_timeout, caf::get_atom::value, std::string{})
      .then(
        [=](const signal::ClassroomSnapshot& snap) mutable {
          auto& r = acc->rooms[row];
          r.answered = true;
          r.mode = snap.mode();
          r.tracks = static_cast<uint32_t>(snap.tracks_size());
          for (const auto& m : snap.members()) {
            ++r.members;
            if (m.presence() == signal::PRESENCE_ONLINE)
              ++r.online;
          }
          acc->members += r.members;
          acc->online += r.online;
          acc->tracks += r.tracks;
          one_done();
        },
        [=](caf::error&) mutable { one_done(); });
  }
  return rp;
}

/// Flushes every journal (and the replicas), then stops every classroom and
/// dispatcher.
caf::result<caf::ok_atom> shut_down(self_ptr self) {
  auto& st = self->state;
  // Flush every journal, then stop the actors without closing the
  // classrooms: a restarted node rebuilds them from their journals.
  st.stopping = true;
  auto rp = self->make_response_promise<caf::ok_atom>();
  auto pending = std::make_shared<size_t>(st.classrooms.size() + 1);
  auto one_done = [=]() mutable {
    if (--*pending == 0) {
      for (auto& [k, c] : self->state.classrooms)
        caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
      for (auto& [t, d] : self->state.dispatchers)
        caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
      self->state.dispatchers.clear();
      if (!self->state.cfg.replicator) {
        rp.deliver(caf::ok_atom::value);
        return;
      }
      // The replicas current before the node says goodbye: the node
      // that takes its classrooms over rebuilds them from them.
      self->request(self->state.cfg.replicator, classroom_timeout, atoms::flush::value)
        .then([=](caf::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
              [=](caf::error&) mutable { rp.deliver(caf::ok_atom::value); });
    }
  };
  for (auto& [k, c] : st.classrooms)
    self->request(c, classroom_timeout, atoms::flush::value)
      .then([=](caf::ok_atom) mutable { one_done(); },
            [=](caf::error&) mutable { one_done(); });
  one_done();
  return rp;
}

/// The classroom of a join, here or on the node the cluster placed it on.
caf::result<classroom_actor> open_anywhere(self_ptr self, const protocol::token_claims& who) {
  auto& st = self->state;
  if (auto i = st.classrooms.find(key(who.tenant, who.classroom)); i != st.classrooms.end())
    return i->second;
  if (!st.cfg.cluster)
    return open_here(self, who);
  // Which node's classroom is it (or, new, should it be)?
  auto rp = self->make_response_promise<classroom_actor>();
  self->request(st.cfg.cluster, cluster_timeout, atoms::lookup::value,
                key(who.tenant, who.classroom))
    .then(
      [=](room_host_actor& where) mutable {
        if (!where || where.address() == self->address()) {
          auto c = open_here(self, who);
          if (c)
            rp.deliver(*c);
          else
            rp.deliver(std::move(c.error()));
          return;
        }
        self->request(where, cluster_timeout, atoms::open::value, who, true)
          .then([=](classroom_actor& c) mutable { rp.deliver(std::move(c)); },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

directory_actor::behavior_type directory_impl(self_ptr self, directory_config cfg) {
  self->state.cfg = std::move(cfg);
  if (!self->state.cfg.cluster)
    rebuild(self, {});
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto i = st.classrooms.begin(); i != st.classrooms.end(); ++i) {
      if (dm.source != caf::actor_cast<caf::actor_addr>(i->second))
        continue;
      std::string tenant, cls;
      storage::split_classroom_key(i->first, tenant, cls);
      st.classrooms.erase(i);
      if (auto d = st.dispatchers.find(tenant); d != st.dispatchers.end())
        self->send(d->second, atoms::done::value, cls);
      return;
    }
  });
  return {
    [=](atoms::create, const classroom_spec& spec) -> caf::result<classroom_actor> {
      auto c = start_classroom(self, spec);
      if (!c)
        return std::move(c.error());
      return *c;
    },
    [=](atoms::open, const protocol::token_claims& who) -> caf::result<classroom_actor> {
      return open_anywhere(self, who);
    },
    [=](atoms::open, const protocol::token_claims& who, bool) -> caf::result<classroom_actor> {
      auto c = open_here(self, who);
      if (!c)
        return std::move(c.error());
      return *c;
    },
    [=](atoms::lookup, const std::string& tenant,
        const std::string& cls) -> caf::result<classroom_actor> {
      auto i = self->state.classrooms.find(key(tenant, cls));
      if (i == self->state.classrooms.end())
        return make_error(errc::classroom_not_found, "no classroom " + cls);
      return i->second;
    },
    [=](atoms::list, const std::string& tenant) {
      std::vector<std::string> out;
      for (auto& [k, c] : self->state.classrooms)
        if (tenant.empty() || k.compare(0, tenant.size() + 1, tenant + "/") == 0)
          out.push_back(k);
      return out;
    },
    [=](atoms::dispatch, const std::string& tenant) -> caf::result<dispatcher_actor> {
      if (!valid_id(tenant))
        return make_error(errc::bad_request, "bad tenant id");
      auto& d = self->state.dispatchers[tenant];
      if (!d)
        d = spawn_dispatcher(self->system(), tenant, directory_actor{self},
                             self->state.cfg.history);
      return d;
    },
    [=](atoms::token, protocol::token_claims c) -> caf::result<std::string> {
      if (!valid_id(c.tenant) || !valid_id(c.classroom) || c.identity.empty())
        return make_error(errc::bad_request, "bad tenant, classroom or identity");
      if (c.role == signal::ROLE_UNSPECIFIED)
        return make_error(errc::bad_request, "a token needs a role");
      if (c.expires_at == 0)
        c.expires_at =
          now_s() + std::chrono::duration_cast<std::chrono::seconds>(self->state.cfg.token_ttl).count();
      auto token = protocol::sign_token(c, self->state.cfg.token_secret);
      if (token.empty())
        return make_error(errc::bad_request, "claims must be UTF-8");
      return token;
    },
    [=](atoms::status) -> caf::result<node_status> { return status(self); },
    [=](atoms::tally, call_outcome x) {
      auto i = static_cast<std::size_t>(x);
      if (i < self->state.call_outcomes.size())
        ++self->state.call_outcomes[i];
    },
    [=](atoms::tally, errc code) {
      auto i = static_cast<std::size_t>(code);
      auto& v = self->state.requests_failed;
      if (code == errc::none)
        return;
      if (i >= v.size())  // a code newer than this table
        v.resize(i + 1);
      ++v[i];
    },
    [=](atoms::adopt, const std::string& k) {
      std::string tenant, cls;
      if (!storage::split_classroom_key(k, tenant, cls))
        return;
      auto c = adopt(self, tenant, cls);
      if (!c && to_protocol_error(c.error()).code != errc::classroom_not_found)
        std::fprintf(stderr, "lamplight: cannot take over %s: %s\n", k.c_str(),
                     to_protocol_error(c.error()).message.c_str());
    },
    [=](atoms::rebuild, const std::vector<std::string>& elsewhere) {
      if (!self->state.rebuilt)
        rebuild(self, elsewhere);
    },
    [=](atoms::drain) -> caf::result<std::vector<std::string>> {
      return hand_over_all(self);
    },
    [=](atoms::shutdown) -> caf::result<caf::ok_atom> { return shut_down(self); },
  };
}

} // namespace


caf::expected<directory_actor> spawn_directory(caf::actor_system& sys, directory_config cfg) {
  if (cfg.token_secret.size() < 16)
    return make_error(errc::bad_request, "the token secret needs at least 16 bytes");
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir / "journal", ec);
  if (ec)
    return make_error(errc::internal, "cannot create " + (cfg.data_dir / "journal").string()
                                        + ": " + ec.message());
  return sys.spawn(directory_impl, std::move(cfg));
}

} // namespace lamplight::actors
