// lamplight-node: an all-in-one node by default. WebSocket signaling and the
// web clients over HTTP (Boost.Beast), the classroom actors, and the CAF
// middleman endpoint the actor shell connects to. SIGINT/SIGTERM shut it
// down gracefully: connections close, journals are flushed, actors stop.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <pthread.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/cluster/cluster_actor.hpp"
#include "actors/node/directory_actor.hpp"
#include "actors/cluster/journal_replicator.hpp"
#include "actors/rtc/media_host.hpp"
#include "actors/base/errors.hpp"
#include "actors/system_setup.hpp"
#include "backend/api_nonces.hpp"
#include "backend/history_writer.hpp"
#include "backend/lamps.hpp"
#include "backend/quotas.hpp"
#include "backend/random_id.hpp"
#include "backend/tenant_registry.hpp"
#include "backend/webhook_dispatcher.hpp"
#include "nodes/node/config.hpp"
#include "nodes/node/http_api.hpp"
#include "nodes/node/secret.hpp"
#include "nodes/node/server_api.hpp"
#include "nodes/node/ws_gateway.hpp"
#include "transport/http_router.hpp"
#include "transport/websocket_server.hpp"

using namespace lamplight;

namespace {

std::string default_web_root() {
  // Next to the binary when installed, else the source tree's web/.
  for (const char* candidate : {"web", LAMPLIGHT_SOURCE_WEB_ROOT})
    if (std::filesystem::is_directory(candidate))
      return candidate;
  return "web";
}

/// The business layer on the node's database: history, scheduled
/// classrooms, webhooks, and the server API's request checks.
struct business_layer {
  std::shared_ptr<backend::history_writer> history;
  std::shared_ptr<backend::history_store> lessons;
  std::shared_ptr<backend::classroom_registry> classrooms;
  std::shared_ptr<backend::webhook_registry> webhooks;
  std::shared_ptr<backend::webhook_dispatcher> dispatcher;
  std::shared_ptr<backend::api_request_verifier> auth;
  std::shared_ptr<backend::quota_guard> quotas;
  std::shared_ptr<backend::lamp_registry> lamps;
};

protocol::result<business_layer> open_business(const node::node_config& cfg,
                                               const protocol::key_lookup& keys) {
  const auto& file = cfg.database;
  backend::webhook_policy policy;
  policy.allow_loopback = cfg.webhook_allow_loopback;
  policy.allow_private = cfg.webhook_allow_private;
  backend::webhook_dispatcher_config wc;
  wc.policy = policy;
  auto dispatcher = backend::webhook_dispatcher::open(file, wc);
  if (!dispatcher)
    return dispatcher.err();
  business_layer out;
  out.dispatcher = std::move(*dispatcher);
  backend::history_options ho;
  ho.on_commit = [d = out.dispatcher] { d->wake(); };
  auto history = backend::history_writer::open(file, ho);
  auto lessons = backend::history_store::open(file);
  auto classrooms = backend::classroom_registry::open(file);
  auto webhooks = backend::webhook_registry::open(file, policy);
  for (const auto* err : {history ? nullptr : &history.err(), lessons ? nullptr : &lessons.err(),
                          classrooms ? nullptr : &classrooms.err(),
                          webhooks ? nullptr : &webhooks.err()})
    if (err)
      return *err;
  out.history = *history;
  out.lessons = *lessons;
  out.classrooms = *classrooms;
  out.webhooks = *webhooks;
  // Each accepted nonce is claimed in the database too: on a cluster's
  // PostgreSQL, a request replayed to another node is refused there.
  auto nonces = backend::api_nonce_store::open(file);
  if (!nonces)
    return nonces.err();
  out.auth = std::make_shared<backend::api_request_verifier>(
    keys, backend::api_request_verifier::clock{}, backend::api_request_verifier::default_window_s,
    backend::api_request_verifier::default_max_nonces,
    [store = *nonces](const std::string& kid, const std::string& nonce, int64_t expires_ms) {
      return store->claim(kid, nonce, expires_ms);
    });
  auto quotas = backend::quota_guard::open(file, {}, [d = out.dispatcher] { d->wake(); });
  if (!quotas)
    return quotas.err();
  out.quotas = *quotas;
  auto lamps = backend::lamp_registry::open(file);
  if (!lamps)
    return lamps.err();
  out.lamps = *lamps;
  out.dispatcher->start();
  return out;
}

} // namespace

int main(int argc, char** argv) {
  // Signals are taken by sigwait below, in this thread only.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto loaded = node::load_config(std::vector<std::string>(argv + 1, argv + argc),
                                  [](const char* name) { return std::getenv(name); });
  if (!loaded) {
    std::cerr << "lamplight-node: " << loaded.err().message << " (try --help)" << std::endl;
    return 2;
  }
  if (loaded->help) {
    std::cout << loaded->help_text << std::endl;
    return 0;
  }
  auto cfg = loaded->config;
  auto secret = node::load_or_create_secret(cfg.token_secret_file);
  if (!secret) {
    std::cerr << "lamplight-node: " << secret.err().message << std::endl;
    return 1;
  }
  // Tenants and their API keys (lamplight-admin manages them in the same
  // database, the node reads it at every join: no restart needed).
  auto tenants = backend::tenant_registry::open(cfg.database);
  if (!tenants) {
    std::cerr << "lamplight-node: " << tenants.err().message << std::endl;
    return 1;
  }
  protocol::key_lookup tenant_keys = [reg = *tenants](const std::string& kid) {
    return reg->lookup(kid);
  };
  auto business = open_business(cfg, tenant_keys);
  if (!business) {
    std::cerr << "lamplight-node: " << business.err().message << std::endl;
    return 1;
  }

  caf::actor_system_config caf_cfg;
  actors::add_lamplight_types(caf_cfg);
  caf_cfg.load<caf::io::middleman>();
  caf_cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  // Idle nodes should not spin: CAF's default polling burns a core.
  caf_cfg.set("work-stealing.aggressive-poll-attempts", 0);
  caf_cfg.set("work-stealing.moderate-poll-attempts", 0);
  std::shared_ptr<media::worker_pool> media;
  try {
    media::media_worker::config mc;
    mc.bind_address = cfg.media_bind;
    mc.port = cfg.media_port;
    // Pipes between media nodes are keyed from the cluster's shared secret
    // (under their own label: see media_worker::pipe_peer).
    mc.pipe_secret.assign(secret->begin(), secret->end());
    media = std::make_shared<media::worker_pool>(mc, cfg.media_workers);
  } catch (const std::exception& e) {
    std::cerr << "lamplight-node: cannot open the media port " << cfg.media_bind << ":"
              << cfg.media_port << ": " << e.what() << std::endl;
    return 1;
  }
  caf::actor_system sys{caf_cfg};

  actors::cluster_config cc;
  cc.self.name = cfg.name;
  cc.self.roles = cfg.role_list;
  bool gateway = cc.self.has_role("gateway");
  cc.self.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  cc.seeds = cfg.seed_list;
  cc.media_load = [media] { return actors::media_load(*media); };
  auto cluster = actors::spawn_cluster(sys, cc);
  // What this node's media workers send a tenant's clients is its usage.
  actors::forwarded_bytes_sink forwarded
    = [history = business->history](const std::string& tenant, const std::string& classroom,
                                    uint64_t bytes) {
        history->post_forwarded(tenant, {classroom, bytes, backend::wall_ms()});
      };
  // Where classrooms of any node get legs on this node's media workers.
  actors::media_host_actor media_host;
  if (cc.self.has_role("media"))
    media_host = actors::spawn_media_host(sys, media, forwarded);

  actors::directory_config dc;
  dc.node_name = cfg.name;
  dc.cluster = cluster;
  dc.data_dir = cfg.data_dir;
  dc.token_secret = *secret;
  dc.timeouts.ring = cfg.ring_timeout;
  dc.timeouts.media_setup = cfg.media_setup_timeout;
  dc.timeouts.reconnect_grace = cfg.reconnect_grace;
  dc.timeouts.device_deadline = cfg.device_deadline;
  dc.absent_grace = cfg.absent_grace;
  dc.flush_interval = cfg.journal_flush;
  dc.rtc.sfu = media;
  dc.rtc.forwarded = forwarded;
  // Classrooms place each member's media through the cluster, on this
  // node or another media node (one alone: all of it here).
  dc.rtc.media_placer = cluster;
  actors::from_string(cfg.provider, dc.rtc.default_kind);  // checked by load_config
  dc.rtc.janus_host = cfg.janus_host;
  dc.rtc.janus_port = cfg.janus_port;
  dc.rtc.janus_room_secret = cfg.janus_admin_key;
  auto photos = std::make_shared<storage::photo_store>(std::filesystem::path(cfg.data_dir) / "photos");
  photos->set_admission([q = business->quotas](const std::string& tenant, int64_t bytes) {
    return q->admit_photo(tenant, bytes);
  });
  dc.photos = photos;
  dc.history = business->history;
  dc.scheduled = business->classrooms;
  // Journals and photos are copied to another room node, which rebuilds
  // the classrooms if this node dies (a node alone keeps them on its disk).
  actors::replicator_config rc;
  rc.data_dir = cfg.data_dir;
  rc.photos = photos;
  rc.cluster = cluster;
  auto replicator = actors::spawn_replicator(sys, rc);
  dc.replicator = replicator;
  photos->set_replication_hook([replicator](const signal::v1::PhotoRecord& rec,
                                            const std::string& jpeg) {
    caf::anon_send(replicator, atoms::replicate::value, rec, jpeg);
  });
  auto directory = actors::spawn_directory(sys, dc);
  if (!directory) {
    std::cerr << "lamplight-node: " << actors::to_protocol_error(directory.error()).message
              << std::endl;
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(replicator, caf::exit_reason::user_shutdown);
    return 1;
  }
  auto shell_port = sys.middleman().publish(*directory, cfg.shell_port, cfg.shell_bind.c_str(),
                                            true);
  if (!shell_port) {
    std::cerr << "lamplight-node: cannot listen for the shell on " << cfg.shell_bind << ":"
              << cfg.shell_port << ": " << sys.render(shell_port.error()) << std::endl;
    caf::anon_send_exit(*directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(replicator, caf::exit_reason::user_shutdown);
    return 1;
  }

  auto cluster_port = sys.middleman().publish(cluster, cfg.cluster_port, cfg.shell_bind.c_str(),
                                              true);
  if (!cluster_port) {
    std::cerr << "lamplight-node: cannot listen for the cluster on " << cfg.shell_bind << ":"
              << cfg.cluster_port << ": " << sys.render(cluster_port.error()) << std::endl;
    caf::anon_send_exit(*directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(replicator, caf::exit_reason::user_shutdown);
    return 1;
  }

  node::http_api api(sys, *directory, cfg, *secret, photos, media);
  api.set_cluster(cluster);
  api.set_keys(tenant_keys);
  node::server_api_config sac;
  sac.directory = *directory;
  sac.auth = business->auth;
  sac.keys = tenant_keys;
  sac.classrooms = business->classrooms;
  sac.history = business->lessons;
  sac.webhooks = business->webhooks;
  sac.tenants = *tenants;
  sac.lamps = business->lamps;
  sac.rate_per_second = cfg.api_rate;
  sac.burst = cfg.api_burst;
  node::server_api server_api(sys, std::move(sac));
  auto web_root = cfg.web_root.empty() ? default_web_root() : cfg.web_root;
  transport::http_router router;
  router.add_static("/", web_root);
  actors::gateway_config gw;
  gw.token_secret = *secret;
  gw.keys = tenant_keys;
  gw.devices = [reg = business->lamps](const std::string& tenant, const std::string& serial,
                                       const std::string& classroom) {
    return reg->login(tenant, serial, classroom);
  };
  gw.admit = [q = business->quotas](const protocol::token_claims& c) {
    return q->admit_member(c.tenant, c.classroom, c.identity);
  };
  gw.directory = *directory;
  gw.limits.max_frame_bytes = cfg.max_frame_bytes;
  gw.timeouts = dc.timeouts;

  transport::websocket_server_config wcfg;
  wcfg.bind_address = cfg.bind;
  wcfg.port = cfg.port;
  wcfg.io_threads = cfg.io_threads;
  wcfg.ws_idle_timeout = std::chrono::seconds(cfg.ws_idle_seconds);
  transport::websocket_server server(wcfg);
  server.set_http_handler([&](const transport::http_request& req) {
    auto r = api.handle(req);
    if (!r)
      r = server_api.handle(req);
    if (r) {
      transport::http_response res;
      res.status = r->status;
      res.content_type = r->content_type;
      res.body = std::move(r->body);
      res.headers = std::move(r->headers);
      return res;
    }
    return router.handle(req);
  });
  server.set_ws_handler([&](std::shared_ptr<transport::ws_connection> conn,
                            const transport::http_request& req)
                          -> std::shared_ptr<transport::ws_session_handler> {
    // A room-only node takes no clients: they come through gateways.
    if (req.path != "/signal" || !gateway)
      return nullptr;
    return node::open_gateway_session(sys, gw, std::move(conn));
  });
  uint16_t http_port = 0;
  try {
    http_port = server.start();
  } catch (const std::exception& e) {
    std::cerr << "lamplight-node: cannot listen on " << cfg.bind << ":" << cfg.port << ": "
              << e.what() << std::endl;
    caf::anon_send_exit(*directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(replicator, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::string media_ports;  // "40000,40001"
  for (const auto& w : media->workers())
    media_ports += (media_ports.empty() ? "" : ",") + std::to_string(w->port());
  std::cout << "lamplight-node '" << cfg.name << "': web clients and signaling on http://"
            << cfg.bind << ":" << http_port << "/ (WebSocket /signal), shell endpoint "
            << cfg.shell_bind << ":" << *shell_port << ", media on udp " << cfg.media_bind << ":"
            << media_ports << ", data in " << cfg.data_dir
            << (cfg.dev_tokens_enabled() ? ", dev tokens on" : "") << std::endl;
  {
    actors::member_info me;
    me.http = cfg.bind + ":" + std::to_string(http_port);
    me.cluster = cfg.shell_bind + ":" + std::to_string(*cluster_port);
    me.started_ms = cc.self.started_ms;
    actors::node_handles mine;
    mine.directory = *directory;
    mine.replicator = replicator;
    mine.media = media_host;
    caf::anon_send(cluster, atoms::listen::value, me, mine);
  }
  // For scripts and tests that start a node on port 0.
  std::cout << "READY http=" << http_port << " shell=" << *shell_port
            << " media=" << media_ports << " cluster=" << *cluster_port << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cout << "lamplight-node: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
            << ", shutting down" << std::endl;
  api.set_shutting_down();
  server.stop();
  {
    caf::scoped_actor self{sys};
    self->request(*directory, std::chrono::seconds(10), atoms::shutdown::value)
      .receive([](caf::ok_atom) {},
               [&](caf::error& e) {
                 std::cerr << "lamplight-node: shutdown: " << sys.render(e) << std::endl;
               });
  }
  caf::anon_send_exit(*directory, caf::exit_reason::user_shutdown);
  // The closed classrooms' peers are removed in order on each worker's
  // thread, telling their meters the rest: a round trip to each worker
  // lets that happen before the history stops.
  for (const auto& w : media->workers())
    (void) w->stats();
  // What the classrooms' last events recorded goes to the database, and
  // deliveries in flight end (their rows stay leased, retried after).
  business->history->stop();
  business->dispatcher->stop();
  {
    // Goodbye to the cluster: the others mark this node left, not dead.
    caf::scoped_actor self{sys};
    self->request(cluster, std::chrono::seconds(2), atoms::shutdown::value)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
  }
  caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(replicator, caf::exit_reason::user_shutdown);
  if (media_host)
    caf::anon_send_exit(media_host, caf::exit_reason::user_shutdown);
  std::cout << "lamplight-node: journals flushed, bye" << std::endl;
  return 0;
}
