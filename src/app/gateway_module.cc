// The gateway (the seed's app-websocket): the API, the room WebSockets and the web UI; and the probes of a role
// without it.

#include <spdlog/spdlog.h>

#include <thread>

#include "app/modules.h"
#include "common/rate_limiter.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "http/api_handlers.h"
#include "http/connection_caps.h"
#include "http/dispatcher.h"
#include "http/json_codec.h"
#include "http/request_policy.h"
#include "http/static_files.h"
#include "http/websocket_session.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/chat_session.h"
#include "services/room_hub.h"
#include "services/room_service.h"

namespace rooms {

namespace fs = std::filesystem;

namespace {

int IoThreads(const Config& c) {
    return c.io_threads > 0 ? c.io_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

asio::thread_pool& AddPool(Front& front, int threads) {
    front.pools.push_back(std::make_unique<asio::thread_pool>(static_cast<std::size_t>(threads)));
    return *front.pools.back();
}

/// Everything the gateway's requests and sockets use; the HTTP front (Process::front) serves it.
struct Gateway {
    Gateway(Process& p, asio::thread_pool& store_pool, asio::thread_pool& hash_pool)
        : config(p.config()),
          jwt(JwtKey(config, p.ports.may_generate_jwt_key)),
          auth(p.Require(p.ports.users, "a user store", "gateway"),
               p.Require(p.ports.tokens, "a refresh token store", "gateway"), hasher, jwt, config.auth, p.time()),
          rooms(p.Require(p.ports.rooms, "a room store", "gateway"), p.Require(p.ports.presence, "presence", "gateway"),
                p.time()),
          chat(p.Require(p.ports.bus, "a message bus", "gateway"),
               p.Require(p.ports.history, "a history cache", "gateway"),
               p.Require(p.ports.messages, "a message store", "gateway"),
               p.Require(p.ports.ids, "an id generator", "gateway"), p.ports.recent, config.chat, p.time()),
          api_limit(config.rate_limit.rps, config.rate_limit.burst, p.time(),
                    static_cast<std::size_t>(config.rate_limit.max_tracked_keys)),
          user_messages(config.chat.user_messages_per_s, config.chat.user_messages_burst, p.time(),
                        static_cast<std::size_t>(config.rate_limit.max_tracked_keys)),
          caps(static_cast<std::size_t>(config.chat.max_connections_per_ip),
               static_cast<std::size_t>(config.chat.max_connections_per_user)),
          api(auth, rooms, chat, store_pool, hash_pool),
          sockets(WebSocketDeps{ChatSessionDeps{chat, p.Require(p.ports.hub, "the hub", "gateway"), *p.ports.presence,
                                                user_messages},
                                store_pool, registry, caps, config.chat},
                  config.node_id) {}

    const Config& config;
    const PasswordHasher hasher;
    const JwtCodec jwt;
    AuthService auth;
    RoomService rooms;
    ChatService chat;
    RateLimiter api_limit;      // per client address (rate_limit.*)
    RateLimiter user_messages;  // per user (chat.user_messages_*)
    ConnectionCaps caps;
    ConnectionRegistry registry;
    ApiHandlers api;
    RoomSockets sockets;
    Router router;
};

}  // namespace

void InitHub(Process& p) { p.ports.hub = &p.Own(std::make_unique<RoomHub>(SerializeMessage)); }

void InitGateway(Process& p) {
    const Config& c = p.config();
    p.front = std::make_unique<Front>(IoThreads(c));
    Front& front = *p.front;
    asio::thread_pool& store_pool = AddPool(front, c.worker_threads);
    asio::thread_pool& hash_pool = AddPool(front, c.auth.hash_threads);
    auto& g = p.Own(std::make_unique<Gateway>(p, store_pool, hash_pool));

    g.api.Register(g.router);
    AddProbeRoutes(g.router, store_pool, p.readiness);
    DispatcherParts parts;
    parts.rate_limiter = &g.api_limit;
    parts.authenticate = [&g](std::string_view token) { return g.auth.Authenticate(token); };
    parts.find_room = [&g](RoomId id) { return g.rooms.Find(id); };
    parts.upgrade = [&g](Transport stream, Request req, RequestContext& ctx) {
        return g.sockets.Upgrade(std::move(stream), std::move(req), ctx);
    };
    parts.allowed_origins = SplitList(c.http.allowed_origins);
    const fs::path static_dir =
        c.http.static_dir.empty() ? FindBesideBinary("web/dist", "index.html") : fs::path(c.http.static_dir);
    parts.static_files =
        &p.Own(std::make_unique<StaticFiles>(static_dir, static_cast<std::size_t>(c.http.static_cache_bytes)));
    parts.blocking_pool = &store_pool;
    front.handler = std::make_unique<Dispatcher>(g.router, std::move(parts));
    front.tls = MakeTls(c);
    front.server = std::make_unique<HttpServer>(front.io, c.http, *front.handler, g.registry, front.tls.get());
    front.description = "gateway, web UI " + (static_dir.empty() ? std::string("none") : static_dir.string());
}

void InitProbes(Process& p) {
    const Config& c = p.config();
    p.front = std::make_unique<Front>(1);
    Front& front = *p.front;
    asio::thread_pool& pool = AddPool(front, 1);
    struct Probes {
        Router router;
        ConnectionRegistry registry;
    };
    auto& probes = p.Own(std::make_unique<Probes>());
    AddProbeRoutes(probes.router, pool, p.readiness);
    front.handler = std::make_unique<Dispatcher>(probes.router, DispatcherParts{});
    front.tls = MakeTls(c);
    front.server = std::make_unique<HttpServer>(front.io, c.http, *front.handler, probes.registry, front.tls.get());
    front.description = "probes";
}

}  // namespace rooms
