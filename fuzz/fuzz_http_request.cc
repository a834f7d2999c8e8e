// Raw bytes as HTTP/1.1 requests on one keep-alive connection: Beast's request_parser with the server's
// limits, then the gateway's real Dispatcher (target parsing, Router, 404/405, the route flags: rate limit,
// bearer authentication, room lookup; the route's handler) into the real ApiHandlers and probes on in-memory
// stores (SQLite ":memory:", memory presence/history/bus). The WebSocket upgrade is a no-op here (it needs a
// peer) and static files are off (they need a disk).
//
// Every response must be JSON and never a 500 (a handler that throws is a bug). Requests may carry the
// token of the seeded user "alice" (id 1); room 1 exists with a few messages.

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "adapters/sqlite/sqlite_store.h"
#include "common/id_generator.h"
#include "common/text.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "http/api_handlers.h"
#include "http/asio.h"
#include "http/dispatcher.h"
#include "http/http_session.h"
#include "http/probes.h"
#include "http/request_policy.h"
#include "http/responses.h"
#include "http/router.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/room_service.h"
#include "services/validation.h"

namespace {

using namespace rooms;

const std::string kJwtKey = "fuzz-http-jwt-key-of-32-bytes!!!";
const std::string kAlicePassword = "correct-horse-battery";
constexpr std::size_t kBodyLimit = 64 * 1024;  // http.body_limit_bytes / header_limit_bytes defaults
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr int kInputsPerWorld = 500;  // stores are rebuilt so they do not grow without bound

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_http_request: %s: [%.*s]\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

/// What lives for the whole run: crypto, the pools and the io_context the handlers run on.
struct Process {
    Process() {
        spdlog::set_level(spdlog::level::off);
        InitCrypto();
        alice_hash = hasher.Hash(kAlicePassword);
    }
    PasswordHasher hasher;
    std::string alice_hash;
    JwtCodec jwt{kJwtKey};
    asio::thread_pool store_pool{1};
    asio::thread_pool hash_pool{1};
    asio::io_context io;
};

/// The stores, services, handlers and router of one `all` process, seeded with alice, room 1 and messages.
struct World {
    explicit World(Process& p)
        : auth(users, tokens, p.hasher, p.jwt, AuthSettings{}, RealTimeSource::Instance(), sessions, nullptr),
          rooms(room_store, presence, RealTimeSource::Instance()),
          chat(bus, history, message_store, ids, nullptr, ChatSettings{}, RealTimeSource::Instance()),
          handlers(auth, rooms, chat, p.store_pool, p.hash_pool),
          readiness{{"store", [this] { return db.Health(); }}} {
        const TimePoint t0 = std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::sys_days{std::chrono::year{2026} / 1 / 1});
        if (!users.Create("alice", NicknameKey("alice"), p.alice_hash, t0)) Fail("seeding alice", "");
        const Room room = room_store.Create("general", t0);
        std::vector<Message> messages;
        for (MessageId id = 1; id <= 5; ++id) {
            Message m;
            m.id = id;
            m.room_id = room.id;
            m.user_id = 1;
            m.nickname = "alice";
            m.content = "message " + std::to_string(id);
            m.time_created = t0 + std::chrono::seconds(id);
            messages.push_back(m);
        }
        message_store.InsertBatch(messages);
        presence.Add(room.id, "0:1", 1, "alice");
        handlers.Register(router);
        AddProbeRoutes(router, p.store_pool, readiness);
        DispatcherParts parts;
        parts.rate_limiter = &unlimited;
        parts.authenticate = [this](std::string_view token) { return auth.Authenticate(token); };
        parts.find_room = [this](RoomId id) { return rooms.Find(id); };
        parts.upgrade = [](Transport, Request, RequestContext&) {};
        parts.blocking_pool = &p.store_pool;
        dispatcher = std::make_unique<Dispatcher>(router, std::move(parts));
    }

    SqliteDatabase db{":memory:"};
    SqliteUserStore users{db};
    SqliteRefreshTokenStore tokens{db};
    SqliteRoomStore room_store{db};
    SqliteMessageStore message_store{db};
    MemoryPresence presence;
    MemoryHistoryCache history{100};
    MemoryBus bus;
    IdGenerator ids{0};
    SessionRegistry sessions{std::chrono::seconds(900), RealTimeSource::Instance()};
    AuthService auth;
    RoomService rooms;
    ChatService chat;
    ApiHandlers handlers;
    std::vector<ReadinessCheck> readiness;
    RateLimiter unlimited{0, 1, RealTimeSource::Instance()};
    Router router;
    std::unique_ptr<Dispatcher> dispatcher;
};

/// The gateway's dispatch of one request, on a connection that has no peer.
std::optional<Response> Dispatch(Process& p, World& w, Request& req) {
    const std::atomic<bool> stopping{false};
    auto conn = std::make_shared<HttpConnection>(Transport(beast::tcp_stream(p.io)), stopping, /*peer_trusted=*/false);
    std::optional<Response> out;
    std::exception_ptr error;
    auto run = [&]() -> asio::awaitable<void> { out = co_await w.dispatcher->Handle(req, "127.0.0.1", *conn); };
    p.io.restart();
    asio::co_spawn(p.io, run(), [&](std::exception_ptr e) { error = e; });
    p.io.run();
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            Fail("the dispatcher threw", e.what());
        }
    }
    if (!out) Fail("the dispatcher did not answer", req.target());
    if (conn->upgraded()) return std::nullopt;  // a WebSocket: nothing to check here
    return out;
}

void Check(const Request& req, Response& res) {
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (res.result() == http::status::internal_server_error) Fail("500 for", res.body());
    if (res.result() == http::status::not_modified) {  // an unchanged room list: no body at all
        if (!res.body().empty()) Fail("a 304 with a body", res.body());
        return;
    }
    if (res[http::field::content_encoding] == "gzip") return;  // JSON, compressed (unit CompressionTest)
    boost::system::error_code ec;
    (void)boost::json::parse(res.body(), ec);
    if (ec) Fail("a response body that is not JSON", res.body());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Process process;
    static std::unique_ptr<World> world;
    static int inputs = 0;
    if (!world || ++inputs % kInputsPerWorld == 0) {
        world.reset();
        world = std::make_unique<World>(process);
    }

    // One connection: pipelined requests until the bytes run out or the server would close it.
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    for (int n = 0; n < 4 && !bytes.empty(); ++n) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(kBodyLimit);
        parser.header_limit(static_cast<std::uint32_t>(kHeaderLimit));
        parser.eager(true);
        beast::error_code ec;
        while (!ec && !parser.is_done() && !bytes.empty()) {
            const std::size_t used = parser.put(asio::buffer(bytes.data(), bytes.size()), ec);
            bytes.remove_prefix(used);
            if (ec == http::error::need_more) break;  // the rest of the bytes never arrive
            if (used == 0 && !ec) break;
        }
        if (!parser.is_done()) return 0;  // malformed, over a limit or truncated: the server answers 4xx or closes

        Request req = parser.release();
        if (HeadProblem(req)) break;  // 400 and the connection closes (HttpSession)
        static const IpNetworks kProxies = IpNetworks::ParseOrThrow("10.0.0.2, 10.0.0.3, 10.1.0.0/16");
        (void)ClientIp(req, "10.0.0.2", kProxies);
        auto res = Dispatch(process, *world, req);
        if (!res) return 0;
        Check(req, *res);
        if (!req.keep_alive()) break;
    }
    return 0;
}
