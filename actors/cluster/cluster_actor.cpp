#include "actors/cluster/cluster_actor.hpp"

#include "actors/base/errors.hpp"
#include "protocol/fnv1a.hpp"
#include "transport/endpoint.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace lamplight::actors {


namespace {

using clock_type = std::chrono::steady_clock;

struct member {
  member_info info;
  node_handles actors;
  cluster_peer_actor handle;  // actors.cluster while alive; invalid once dead or left
  member_state state = member_state::alive;
  clock_type::time_point last_heard = clock_type::now();
  uint32_t load = 0;    // its media peers, at its last heartbeat
  uint32_t placed = 0;  // members this node placed on it since
};

struct cluster_state {
  cluster_config cfg;
  std::map<std::string, member> members;  // by name, this node excluded
  std::map<std::string, std::string> placements;  // classroom key -> node name
  /// The directory was told which of its journals to rebuild (it waits for
  /// the cluster's placements first).
  bool rebuild_told = false;
  int seed_failures = 0;
  uint32_t self_placed = 0;  // members placed on this node since its last heartbeat
  static inline const char* name = "lamplight.cluster";
};

using self_ptr = cluster_actor::stateful_pointer<cluster_state>;

/// Rendezvous (highest random weight) hashing of key and node.
uint64_t hrw(const std::string& key, const std::string& node) {
  return protocol::fnv1a64(key + "\n" + node);
}

std::vector<std::string> encode_placements(const std::map<std::string, std::string>& p) {
  std::vector<std::string> out;
  for (const auto& [key, node] : p)
    out.push_back(key + "=" + node);
  return out;
}

void learn_placements(self_ptr self, const std::vector<std::string>& encoded) {
  for (const auto& e : encoded) {
    auto eq = e.rfind('=');
    if (eq != std::string::npos && eq > 0 && eq + 1 < e.size())
      self->state.placements[e.substr(0, eq)] = e.substr(eq + 1);
  }
}

/// Records `info` as alive with `handle`, unless it is an older incarnation
/// of a member already known.
void admit(self_ptr self, const member_info& info, const node_handles& actors) {
  auto& st = self->state;
  const auto& handle = actors.cluster;
  if (info.name == st.cfg.self.name || !handle)
    return;
  auto i = st.members.find(info.name);
  if (i != st.members.end() && i->second.info.started_ms > info.started_ms)
    return;  // a message from before that node restarted
  bool fresh = i == st.members.end() || i->second.state == member_state::dead
               || i->second.state == member_state::left
               || i->second.info.started_ms != info.started_ms;
  auto& m = st.members[info.name];
  if (fresh || m.handle != handle) {
    m.handle = handle;
    self->monitor(handle);
  }
  m.info = info;
  m.actors = actors;
  m.state = member_state::alive;
  m.last_heard = clock_type::now();
}

bool eligible(const member_info& i) {
  return i.has_role("room") && !i.draining;
}

/// The eligible alive node with the highest weight for `key`, other than
/// `exclude` ("" if none).
std::string best_node(self_ptr self, const std::string& key, const std::string& exclude) {
  auto& st = self->state;
  std::string best;
  uint64_t best_w = 0;
  auto consider = [&](const std::string& name) {
    if (name != exclude && (best.empty() || hrw(key, name) > best_w)) {
      best = name;
      best_w = hrw(key, name);
    }
  };
  if (eligible(st.cfg.self))
    consider(st.cfg.self.name);
  for (const auto& [name, m] : st.members)
    if (m.state == member_state::alive && m.actors.directory && eligible(m.info))
      consider(name);
  return best;
}

/// Node `gone` died or left: its classrooms move to the nodes that hold
/// their replicas; this node's directory rebuilds those that come here.
void reassign(self_ptr self, const std::string& gone) {
  auto& st = self->state;
  for (auto& [key, node] : st.placements) {
    if (node != gone)
      continue;
    auto next = best_node(self, key, gone);
    if (next.empty())
      continue;  // unavailable until an eligible node comes
    node = next;
    if (next == st.cfg.self.name && st.cfg.handles.directory)
      caf::anon_send(st.cfg.handles.directory, atoms::adopt::value, key);
  }
}

/// Marks a member dead (once) and moves its classrooms.
void mark_dead(self_ptr self, member& m) {
  if (m.state == member_state::dead || m.state == member_state::left)
    return;
  m.state = member_state::dead;
  m.handle = nullptr;
  reassign(self, m.info.name);
}

/// Tells the directory which of its journals the cluster placed on other
/// nodes (it rebuilds the others), once.
void tell_rebuild(self_ptr self) {
  auto& st = self->state;
  if (st.rebuild_told || !st.cfg.handles.directory)
    return;
  st.rebuild_told = true;
  std::vector<std::string> elsewhere;
  for (const auto& [key, node] : st.placements)
    if (node != st.cfg.self.name)
      elsewhere.push_back(key);
  caf::anon_send(st.cfg.handles.directory, atoms::rebuild::value, std::move(elsewhere));
}

/// Greets the node at `endpoint` (blocking connect: the actor is detached)
/// and, through its answer, every member it knows. False if unreachable.
bool greet(self_ptr self, const std::string& endpoint) {
  auto ep = transport::parse_host_port(endpoint);
  if (!ep)
    return false;
  auto remote = self->system().middleman().remote_actor<cluster_actor>(ep->first, ep->second);
  if (!remote)
    return false;
  bool ok = false;
  caf::scoped_actor asker{self->system()};
  std::vector<std::string> mine;
  for (const auto& [key, node] : self->state.placements)
    if (node == self->state.cfg.self.name)
      mine.push_back(key + "=" + node);
  asker->request(*remote, std::chrono::seconds(3), atoms::join::value, self->state.cfg.self,
                 self->state.cfg.handles, mine)
    .receive(
      [&](member_info& info, node_handles& actors, std::vector<member_info>& known,
          std::vector<std::string>& placed) {
        ok = true;
        admit(self, info, actors);
        // Ours stay ours: what we hold we know best.
        auto own = self->state.placements;
        learn_placements(self, placed);
        for (const auto& [key, node] : own)
          if (node == self->state.cfg.self.name)
            self->state.placements[key] = node;
        for (auto& k : known) {
          auto i = self->state.members.find(k.name);
          bool have = i != self->state.members.end() && i->second.state == member_state::alive
                      && i->second.info.started_ms >= k.started_ms;
          if (k.name != self->state.cfg.self.name && !have)
            greet(self, k.cluster);
        }
      },
      [&](caf::error&) {});
  return ok;
}

void check_silence(self_ptr self) {
  auto now = clock_type::now();
  for (auto& [name, m] : self->state.members) {
    if (m.state == member_state::dead || m.state == member_state::left)
      continue;
    auto silent = now - m.last_heard;
    if (silent >= self->state.cfg.dead_after) {
      mark_dead(self, m);
    } else if (silent >= self->state.cfg.suspect_after) {
      m.state = member_state::suspect;
    }
  }
}

/// Where classroom `key` is, or goes: that node's directory.
caf::result<room_host_actor> where_is(self_ptr self, const std::string& key) {
  auto& st = self->state;
  auto directory_of = [&](const std::string& node) -> room_host_actor {
    if (node == st.cfg.self.name)
      return st.cfg.handles.directory;
    auto i = st.members.find(node);
    if (i == st.members.end() || i->second.state != member_state::alive)
      return room_host_actor{};
    return i->second.actors.directory;
  };
  if (auto p = st.placements.find(key); p != st.placements.end()) {
    if (auto d = directory_of(p->second))
      return d;
    return make_error(protocol::errc::unavailable,
                      "classroom " + key + " lives on node " + p->second + ", which is not alive");
  }
  // A new classroom: the eligible node with the highest weight.
  auto best = best_node(self, key, "");
  if (best.empty())
    return make_error(protocol::errc::unavailable,
                      "no room node in the cluster takes new classrooms");
  return directory_of(best);
}

/// The media node for a member: near its participant, else the least loaded.
caf::result<std::string, media_host_actor> place_media(self_ptr self, const std::string& near,
                                                       const std::vector<std::string>& exclude) {
  auto& s = self->state;
  auto usable = [&](const member_info& i, const node_handles& a) {
    return i.has_role("media") && a.media && !i.draining
           && std::find(exclude.begin(), exclude.end(), i.name) == exclude.end();
  };
  auto at = [&](const node_handles& a) {
    return !near.empty() && caf::to_string(a.media.node()) == near;
  };
  // Near the member first; else the least loaded (its last reported
  // load plus what this node placed there since), then by name.
  const member_info* best = nullptr;
  const node_handles* best_actors = nullptr;
  std::tuple<bool, uint64_t, std::string> best_rank;
  member* best_member = nullptr;
  auto consider = [&](const member_info& i, const node_handles& a, uint64_t load, member* m) {
    if (!usable(i, a))
      return;
    auto rank = std::make_tuple(!at(a), load, i.name);
    if (!best || rank < best_rank) {
      best = &i;
      best_actors = &a;
      best_rank = rank;
      best_member = m;
    }
  };
  uint32_t own = s.cfg.media_load ? s.cfg.media_load() : 0;
  consider(s.cfg.self, s.cfg.handles, own + s.self_placed, nullptr);
  for (auto& [name, m] : s.members)
    if (m.state == member_state::alive)
      consider(m.info, m.actors, m.load + m.placed, &m);
  if (!best)
    return make_error(protocol::errc::unavailable, "no media node in the cluster");
  if (best_member)
    ++best_member->placed;
  else
    ++s.self_placed;
  return caf::make_result(best->name, best_actors->media);
}

/// The node listens: its endpoints and actors are known; greet the seeds.
void listen(self_ptr self, const member_info& info, const node_handles& actors) {
  auto& s = self->state;
  auto me = s.cfg.handles.cluster;
  s.cfg.handles = actors;
  s.cfg.handles.cluster = me;
  auto name = s.cfg.self.name;
  auto roles = s.cfg.self.roles;
  s.cfg.self = info;
  s.cfg.self.name = name;
  s.cfg.self.roles = roles;
  // Classrooms announced before the node listened (rebuilt ones).
  for (auto& [key, node] : s.placements)
    if (node == name)
      for (auto& [n, m] : s.members)
        if (m.handle)
          self->send(m.handle, atoms::placed::value, key, node);
  for (const auto& seed : s.cfg.seeds)
    self->send(self, atoms::retry::value, seed);
  if (s.cfg.seeds.empty())
    tell_rebuild(self);  // the first node of a cluster: nobody to ask
}

cluster_actor::behavior_type cluster_impl(self_ptr self, cluster_config cfg) {
  self->state.cfg = std::move(cfg);
  // Set from the start: a node greeting this one before it listens (its
  // cluster port is published first) admits it by this handle.
  self->state.cfg.handles.cluster = cluster_peer_actor{self};
  self->set_down_handler([=](caf::down_msg& dm) {
    // The member's process died or its connection dropped: CAF knows at
    // once, no need to wait for silence.
    for (auto& [name, m] : self->state.members)
      if (m.handle && dm.source == caf::actor_cast<caf::actor_addr>(m.handle))
        mark_dead(self, m);
  });
  self->send(self, atoms::timeout::value);
  return {
    [=](atoms::join, const member_info& info, const node_handles& actors,
        const std::vector<std::string>& placed)
      -> caf::result<member_info, node_handles, std::vector<member_info>,
                     std::vector<std::string>> {
      admit(self, info, actors);
      learn_placements(self, placed);
      std::vector<member_info> known;
      for (const auto& [name, m] : self->state.members)
        if (name != info.name
            && (m.state == member_state::alive || m.state == member_state::suspect))
          known.push_back(m.info);
      return caf::make_result(self->state.cfg.self, self->state.cfg.handles, std::move(known),
                              encode_placements(self->state.placements));
    },
    [=](atoms::lookup, const std::string& key) { return where_is(self, key); },
    [=](atoms::replica, const std::string& key) -> caf::result<std::string, replica_host_actor> {
      auto& st = self->state;
      auto best = best_node(self, key, st.cfg.self.name);
      auto i = st.members.find(best);
      if (best.empty() || i == st.members.end() || !i->second.actors.replicator)
        return make_error(protocol::errc::unavailable, "no other room node keeps replicas");
      return caf::make_result(best, i->second.actors.replicator);
    },
    [=](atoms::handover, const std::string& key) -> caf::result<std::string> {
      auto& st = self->state;
      auto next = best_node(self, key, st.cfg.self.name);
      auto i = st.members.find(next);
      if (next.empty() || i == st.members.end() || !i->second.actors.directory)
        return make_error(protocol::errc::unavailable, "no other room node takes classrooms");
      st.placements[key] = next;
      for (auto& [name, m] : st.members)
        if (m.handle)
          self->send(m.handle, atoms::placed::value, key, next);
      caf::anon_send(i->second.actors.directory, atoms::adopt::value, key);
      return next;
    },
    [=](atoms::placed, const std::string& key, const std::string& node) {
      auto& st = self->state;
      auto& slot = st.placements[key];
      if (slot == node && node != st.cfg.self.name)
        return;
      slot = node;
      // Our own classrooms are news for everyone; others' we heard from
      // their node, which tells everyone itself.
      if (node == st.cfg.self.name)
        for (auto& [name, m] : st.members)
          if (m.handle)
            self->send(m.handle, atoms::placed::value, key, node);
    },
    [=](atoms::beat, const std::string& name, int64_t started_ms, bool draining, uint32_t load) {
      auto i = self->state.members.find(name);
      if (i == self->state.members.end() || i->second.info.started_ms != started_ms
          || i->second.state == member_state::left || !i->second.handle)
        return;  // unknown, or an old incarnation: it greets us itself
      i->second.state = member_state::alive;
      i->second.info.draining = draining;
      i->second.last_heard = clock_type::now();
      i->second.load = load;
      i->second.placed = 0;
    },
    [=](atoms::place, const std::string& near, const std::vector<std::string>& exclude) {
      return place_media(self, near, exclude);
    },
    [=](atoms::draining, bool on) {
      self->state.cfg.self.draining = on;
      return caf::ok_atom::value;
    },
    [=](atoms::leave, const std::string& name, int64_t started_ms) {
      auto i = self->state.members.find(name);
      if (i == self->state.members.end() || i->second.info.started_ms != started_ms)
        return;
      if (i->second.state == member_state::dead || i->second.state == member_state::left)
        return;
      i->second.state = member_state::left;
      if (i->second.handle)
        self->demonitor(caf::actor_cast<caf::actor_addr>(i->second.handle));
      i->second.handle = nullptr;
      // It flushed its replicas before it said goodbye.
      reassign(self, name);
    },
    [=](caf::get_atom) {
      auto now = clock_type::now();
      std::vector<member_view> out{{self->state.cfg.self, member_state::alive, 0, true}};
      for (const auto& [name, m] : self->state.members)
        out.push_back({m.info, m.state,
                       std::chrono::duration_cast<std::chrono::milliseconds>(now - m.last_heard)
                         .count(),
                       false});
      return out;
    },
    [=](atoms::shutdown) {
      for (auto& [name, m] : self->state.members)
        if (m.handle)
          self->send(m.handle, atoms::leave::value,
                     self->state.cfg.self.name, self->state.cfg.self.started_ms);
      self->quit();
      return caf::ok_atom::value;
    },
    [=](atoms::timeout) {
      for (auto& [name, m] : self->state.members)
        if (m.handle)
          self->send(m.handle, atoms::beat::value, self->state.cfg.self.name,
                     self->state.cfg.self.started_ms, self->state.cfg.self.draining,
                     self->state.cfg.media_load ? self->state.cfg.media_load() : 0u);
      self->state.self_placed = 0;
      check_silence(self);
      self->delayed_send(self, self->state.cfg.heartbeat, atoms::timeout::value);
    },
    [=](atoms::listen, const member_info& info, const node_handles& actors) {
      listen(self, info, actors);
    },
    [=](atoms::retry, const std::string& seed) {
      // Until one seed answers, keep trying every second: a cluster may be
      // started in any order.
      bool joined = std::any_of(self->state.members.begin(), self->state.members.end(),
                                [](const auto& m) { return m.second.handle != nullptr; });
      if (joined || greet(self, seed)) {
        tell_rebuild(self);
        return;
      }
      // Seeds that stay silent this long are down: go on with what this
      // node has.
      if (++self->state.seed_failures >= 5 * static_cast<int>(self->state.cfg.seeds.size()))
        tell_rebuild(self);
      self->delayed_send(self, std::chrono::seconds(1), atoms::retry::value, seed);
    },
  };
}

} // namespace

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_config cfg) {
  return sys.spawn<caf::detached>(cluster_impl, std::move(cfg));
}

} // namespace lamplight::actors
