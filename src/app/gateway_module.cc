// The gateway (the seed's app-websocket): the API, the room WebSockets and the web UI; and the probes of a role
// without it.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "app/modules.h"
#include "common/rate_limiter.h"
#include "common/ticker.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "http/api_handlers.h"
#include "http/connection_caps.h"
#include "http/dispatcher.h"
#include "http/http_metrics.h"
#include "http/json_codec.h"
#include "http/request_policy.h"
#include "http/static_files.h"
#include "http/websocket_session.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/chat_session.h"
#include "services/presence_notices.h"
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

/// The front's handler: `dispatcher` counted and timed per route, and GET /metrics on `router` (serialized on
/// `pool`), with the front's open connections read at each scrape.
void ServeWithMetrics(Process& p, Router& router, asio::thread_pool& pool, std::unique_ptr<RequestHandler> dispatcher) {
    Front& front = *p.front;
    AddMetricsRoute(router, pool, p.metrics);
    front.handler = std::make_unique<MeteredHandler>(std::move(dispatcher), router, p.metrics, p.tracer.get());
    p.metrics.AddObservedGauge("rooms_http_connections", "Open client connections (HTTP and WebSocket).", [&front] {
        return front.server ? static_cast<double>(front.server->open_connections()) : 0.0;
    });
}

/// Everything the gateway's requests and sockets use; the HTTP front (Process::front) serves it.
struct Gateway {
    Gateway(Process& p, asio::thread_pool& store_pool, asio::thread_pool& hash_pool)
        : config(p.config()),
          hasher(p.metrics.AddHistogram("rooms_auth_hash_duration_seconds",
                                        "Time of one Argon2id password hash or verification.", LatencyBuckets())),
          jwt(JwtKey(config, p.ports.may_generate_jwt_key)),
          auth(p.Require(p.ports.users, "a user store", "gateway"),
               p.Require(p.ports.tokens, "a refresh token store", "gateway"), hasher, jwt, config.auth, p.time(),
               p.Require(p.ports.sessions, "the login sessions", "gateway"), p.ports.revocations),
          room_creates(config.chat.user_rooms_per_min / 60.0, config.chat.user_rooms_burst, p.time()),
          rooms(p.Require(p.ports.rooms, "a room store", "gateway"), p.Require(p.ports.presence, "presence", "gateway"),
                p.time(), RoomLimits{&room_creates, config.chat.max_rooms}),
          chat(p.Require(p.ports.bus, "a message bus", "gateway"),
               p.Require(p.ports.history, "a history cache", "gateway"),
               p.Require(p.ports.messages, "a message store", "gateway"),
               p.Require(p.ports.ids, "an id generator", "gateway"), p.ports.recent, config.chat, p.time()),
          api_limit(config.rate_limit.rps, config.rate_limit.burst, p.time(),
                    static_cast<std::size_t>(config.rate_limit.max_tracked_keys)),
          user_messages(config.chat.user_messages_per_s, config.chat.user_messages_burst, p.time(),
                        static_cast<std::size_t>(config.rate_limit.max_tracked_keys)),
          user_notices(config.chat.user_notices_per_s, config.chat.user_notices_burst, p.time()),
          notices(chat, p.Require(p.ports.presence, "presence", "gateway"), user_notices,
                  std::chrono::milliseconds(config.chat.presence_grace_ms), p.time()),
          caps(static_cast<std::size_t>(config.chat.max_connections_per_ip),
               static_cast<std::size_t>(config.chat.max_connections_per_user)),
          api(auth, rooms, chat, store_pool, hash_pool,
              ApiLimits{config.chat.rooms_page_max, config.http.gzip_min_bytes}, HashPoolMetrics::From(p.metrics)),
          sockets(WebSocketDeps{ChatSessionDeps{chat, p.Require(p.ports.hub, "the hub", "gateway"), user_messages,
                                                notices, ChatMetrics::From(p.metrics), p.tracer.get()},
                                store_pool, registry, caps, *p.ports.sessions, config.chat,
                                WebSocketMetrics::From(p.metrics)},
                  config.node_id) {
        // Leaves end within a tenth of their grace after it.
        if (config.chat.presence_grace_ms > 0) {
            const auto period = std::chrono::milliseconds(std::clamp(config.chat.presence_grace_ms / 10, 10, 500));
            end_leaves = std::make_unique<Ticker>(period, [this] {
                try {
                    notices.PublishDue();
                } catch (const std::exception& e) {
                    spdlog::error("presence: ending leaves: {}", e.what());
                }
            });
        }
    }

    const Config& config;
    const PasswordHasher hasher;
    const JwtCodec jwt;
    AuthService auth;
    RateLimiter room_creates;  // per user (chat.user_rooms_*)
    RoomService rooms;
    ChatService chat;
    RateLimiter api_limit;      // per client address (rate_limit.*)
    RateLimiter user_messages;  // per user (chat.user_messages_*)
    RateLimiter user_notices;   // per user (chat.user_notices_*)
    PresenceNotices notices;
    ConnectionCaps caps;
    ConnectionRegistry registry;
    ApiHandlers api;
    RoomSockets sockets;
    Router router;
    std::unique_ptr<Ticker> end_leaves;  // PresenceNotices::PublishDue; stopped first, before what it uses
};

}  // namespace

void InitHub(Process& p) {
    Histogram delivery = p.metrics.AddHistogram(
        "rooms_chat_delivery_duration_seconds",
        "Time from a chat message's acceptance to its fan-out to this gateway's sockets (through Kafka in a cluster).",
        LatencyBuckets());
    p.ports.hub = &p.Own(std::make_unique<RoomHub>(SerializeMessage, delivery, p.time(), p.tracer.get()));
    // A revoked session is remembered as long as an access token issued before the revocation can be valid.
    p.ports.sessions =
        &p.Own(std::make_unique<SessionRegistry>(std::chrono::seconds(p.config().auth.access_token_ttl_s), p.time()));
}

void InitGateway(Process& p) {
    const Config& c = p.config();
    p.front = std::make_unique<Front>(IoThreads(c));
    Front& front = *p.front;
    asio::thread_pool& store_pool = AddPool(front, c.worker_threads);
    asio::thread_pool& hash_pool = AddPool(front, c.auth.hash_threads);
    auto& g = p.Own(std::make_unique<Gateway>(p, store_pool, hash_pool));
    try {
        if (const std::size_t keyed = g.auth.BackfillNicknameKeys())
            spdlog::info("auth: {} nicknames of before look-alike checks got their key", keyed);
    } catch (const std::exception& e) {
        // Retried at the next start; until then those users can still log in by their exact nickname.
        spdlog::warn("auth: could not key the nicknames of existing users: {}", e.what());
    }

    g.api.Register(g.router);
    AddProbeRoutes(g.router, store_pool, p.readiness);
    DispatcherParts parts;
    parts.rate_limiter = &g.api_limit;
    parts.authenticate = [&g](std::string_view token) { return g.auth.Authenticate(token); };
    parts.find_room = [&g](RoomId id) { return g.rooms.Find(id); };
    parts.upgrade = [&g](Transport stream, Request req, RequestContext& ctx) {
        g.sockets.Upgrade(std::move(stream), std::move(req), ctx);
    };
    parts.allowed_origins = SplitList(c.http.allowed_origins);
    const fs::path static_dir =
        c.http.static_dir.empty() ? FindBesideBinary("web/dist", "index.html") : fs::path(c.http.static_dir);
    parts.static_files =
        &p.Own(std::make_unique<StaticFiles>(static_dir, static_cast<std::size_t>(c.http.static_cache_bytes)));
    parts.blocking_pool = &store_pool;
    ServeWithMetrics(p, g.router, store_pool, std::make_unique<Dispatcher>(g.router, std::move(parts)));
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
    ServeWithMetrics(p, probes.router, pool, std::make_unique<Dispatcher>(probes.router, DispatcherParts{}));
    front.tls = MakeTls(c);
    front.server = std::make_unique<HttpServer>(front.io, c.http, *front.handler, probes.registry, front.tls.get());
    front.description = "probes";
}

}  // namespace rooms
