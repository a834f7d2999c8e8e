// Raw bytes as HTTP/1.1 requests on one keep-alive connection: Beast's request_parser with the server's
// limits, then the server's dispatch (HttpServer::Handle without the socket: target parsing, Router, 404/405,
// bearer authentication, the route's handler) into the real ApiHandlers on in-memory stores (SQLite
// ":memory:", memory presence/history/bus). Rate limiting, the WebSocket upgrade and static files need a
// socket or a disk and are left out.
//
// Every response must be JSON and never a 500 (a handler that throws is a bug). Requests may carry the
// token of the seeded user "alice" (id 1); room 1 exists with a few messages.

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <boost/url.hpp>
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
#include "http/responses.h"
#include "http/router.h"
#include "http/server.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/room_service.h"

namespace {

using namespace rooms;
namespace urls = boost::urls;

const std::string kJwtKey = "fuzz-http-jwt-key-of-32-bytes!!!";
const std::string kAlicePassword = "correct-horse-battery";
constexpr std::size_t kBodyLimit = 64 * 1024;  // ServerOptions' defaults
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
        : auth(users, tokens, p.hasher, p.jwt, AuthOptions{}),
          rooms(room_store, presence),
          chat(bus, history, message_store, ids, ChatOptions{}),
          handlers(auth, rooms, chat, p.store_pool, p.hash_pool, {{"store", [this]() -> std::optional<std::string> {
                                                                       if (!db.Ping()) return "sqlite does not answer";
                                                                       return std::nullopt;
                                                                   }}}) {
        const TimePoint t0 = std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::sys_days{std::chrono::year{2026} / 1 / 1});
        if (!users.Create("alice", p.alice_hash, t0)) Fail("seeding alice", "");
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
    AuthService auth;
    RoomService rooms;
    ChatService chat;
    ApiHandlers handlers;
    Router router;
};

/// HttpServer::Handle, less the rate limiter, the WebSocket upgrade and static files.
std::optional<Response> Dispatch(Process& p, World& w, Request& req) {
    auto parsed = urls::parse_origin_form(req.target());
    if (!parsed) return ErrorResponse(http::status::bad_request, "malformed request target");
    const std::string path = parsed->path();
    std::map<std::string, std::string> query;
    for (auto q : parsed->params()) query[std::string(q.key)] = std::string(q.value);

    auto match = w.router.Find(req.method(), path);
    if (!match.route) {
        if (match.path_known) {
            if (match.allow.empty()) Fail("405 without Allow", req.target());
            Response res = ErrorResponse(http::status::method_not_allowed, "method not allowed");
            res.set(http::field::allow, match.allow);
            return res;
        }
        (void)w.router.IsApiPath(path);
        return ErrorResponse(http::status::not_found, "not found");
    }
    const Route& route = *match.route;
    RequestContext ctx{req, std::move(match.params), std::move(query), "127.0.0.1", std::nullopt};
    if (route.requires_auth) {
        const std::string_view token = BearerToken(req, ctx.query);
        if (token.empty()) return ErrorResponse(http::status::unauthorized, "missing access token");
        auto who = w.auth.Authenticate(token);
        if (!who) return ErrorResponse(who.error());
        ctx.principal = std::move(*who);
    }

    std::optional<Response> out;
    std::exception_ptr error;
    auto run = [&]() -> asio::awaitable<void> { out = co_await route.handler(ctx); };
    p.io.restart();
    asio::co_spawn(p.io, run(), [&](std::exception_ptr e) { error = e; });
    p.io.run();
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            Fail("a handler threw", e.what());
        }
    }
    if (!out) Fail("a handler did not answer", req.target());
    return out;
}

void Check(const Request& req, Response& res) {
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (res.result() == http::status::internal_server_error) Fail("500 for", res.body());
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
        (void)ClientIp(req, "10.0.0.2", {"10.0.0.2", "10.0.0.3"});
        auto res = Dispatch(process, *world, req);
        if (!res) return 0;
        Check(req, *res);
        if (!req.keep_alive()) break;
    }
    return 0;
}
