#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "adapters/sqlite/sqlite_store.h"
#include "app/roles.h"
#include "app/secrets_file.h"
#include "common/id_generator.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "http/api_handlers.h"
#include "http/room_hub.h"
#include "http/server.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/persist_sink.h"
#include "services/room_service.h"
#include "services/write_behind_store.h"

namespace rooms {

namespace fs = std::filesystem;

namespace {

tcp::endpoint ParseListen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
    if (host == "localhost") host = "127.0.0.1";
    return {asio::ip::make_address(host), port};
}

/// The web UI: http.static_dir, else web/dist found from the binary (build/rooms -> web/dist) or the
/// working directory. Empty when there is none.
fs::path FindStaticDir(const std::string& configured) {
    if (!configured.empty()) return configured;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& candidate : {exe.parent_path().parent_path() / "web" / "dist", fs::path("web") / "dist"}) {
        if (fs::is_regular_file(candidate / "index.html", ec)) return fs::absolute(candidate, ec);
    }
    return {};
}

std::string JwtKey(const Config& config) {
    if (!config.auth.jwt_secret.empty()) return config.auth.jwt_secret;
    const fs::path file =
        config.auth.jwt_secret_file.empty() ? fs::path(config.data_dir) / "jwt.key" : fs::path(config.auth.jwt_secret_file);
    return LoadOrCreateKeyFile(file);
}

}  // namespace

int RunAllInOne(const Config& config) {
    InitCrypto();
    fs::create_directories(config.data_dir);

    // Stores: SQLite in the data directory, messages written behind in batches.
    SqliteDatabase db((fs::path(config.data_dir) / "rooms.db").string());
    SqliteUserStore users(db);
    SqliteRefreshTokenStore tokens(db);
    SqliteRoomStore room_store(db);
    SqliteMessageStore sqlite_messages(db);
    WriteBehindMessageStore messages(sqlite_messages, config.storage.batch_size,
                                     std::chrono::milliseconds(config.storage.flush_interval_ms));
    IdGenerator ids(config.node_id, sqlite_messages.MaxId());

    // In-process bus, presence and history cache.
    MemoryBus bus;
    MemoryPresence presence;
    MemoryHistoryCache history(config.chat.history_size);
    RoomHub hub;
    PersistSink persist(history, messages);
    bus.Subscribe(&persist);  // first, so a message is in the history before any client sees it
    bus.Subscribe(&hub);

    // Services.
    const JwtCodec jwt(JwtKey(config));
    const PasswordHasher hasher;
    AuthService auth(users, tokens, hasher, jwt,
                     AuthOptions{std::chrono::seconds(config.auth.access_token_ttl_s),
                                 std::chrono::seconds(config.auth.refresh_token_ttl_s)});
    RoomService rooms(room_store, presence);
    ChatService chat(bus, history, messages, ids, ChatOptions{config.chat.history_size, config.chat.max_message_bytes});

    // Network.
    const int io_threads = config.io_threads > 0 ? config.io_threads
                                                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    asio::io_context io(io_threads);
    asio::thread_pool store_pool(static_cast<std::size_t>(config.worker_threads));
    asio::thread_pool hash_pool(static_cast<std::size_t>(config.auth.hash_threads));
    ConnectionRegistry registry;

    std::vector<ReadinessCheck> readiness{
        {"database", [&db]() -> std::optional<std::string> {
             if (db.Ping()) return std::nullopt;
             return "SQLite does not answer";
         }}};
    ApiHandlers api(auth, rooms, chat, store_pool, hash_pool, std::move(readiness));
    Router router;
    api.Register(router);

    ServerOptions server_options;
    server_options.body_limit_bytes = static_cast<std::size_t>(config.http.body_limit_bytes);
    server_options.header_limit_bytes = static_cast<std::size_t>(config.http.header_limit_bytes);
    server_options.request_timeout = std::chrono::seconds(config.http.request_timeout_s);
    server_options.max_connections = static_cast<std::size_t>(config.http.max_connections);
    server_options.static_dir = FindStaticDir(config.http.static_dir);
    server_options.rate_limit_rps = config.rate_limit.rps;
    server_options.rate_limit_burst = config.rate_limit.burst;
    server_options.node_id = config.node_id;
    WebSocketDeps ws_deps{hub, chat, presence, store_pool, registry,
                          WebSocketOptions{static_cast<std::size_t>(config.chat.max_frame_bytes),
                                           static_cast<std::size_t>(config.chat.send_queue_messages),
                                           std::chrono::seconds(config.chat.ping_interval_s)}};
    HttpServer server(io, server_options, router, auth, rooms, ws_deps);
    server.Start(ParseListen(config.listen));
    spdlog::info("rooms {} role=all listening on http://{} data_dir={} web_ui={}", ROOMS_VERSION, config.listen,
                 fs::absolute(config.data_dir).string(),
                 server_options.static_dir.empty() ? "none" : server_options.static_dir.string());

    // On SIGINT/SIGTERM: graceful shutdown. The I/O threads return by themselves once the last connection
    // has unwound; a watchdog stops them if something still lingers a few seconds later.
    std::mutex stop_mu;
    std::condition_variable stop_cv;
    bool connections_closed = false;
    std::thread watchdog;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("received signal {}: shutting down", sig);
        server.Shutdown(std::chrono::seconds(5), [&] {
            std::lock_guard lock(stop_mu);
            connections_closed = true;
            stop_cv.notify_all();
        });
        watchdog = std::thread([&] {
            std::unique_lock lock(stop_mu);
            stop_cv.wait(lock, [&] { return connections_closed; });
            if (!stop_cv.wait_for(lock, std::chrono::seconds(3), [&] { return io.stopped(); })) {
                spdlog::warn("shutdown: stopping the I/O threads with work still pending");
                io.stop();
            }
        });
    });

    std::vector<std::thread> threads;
    for (int i = 1; i < io_threads; ++i) threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    {
        std::lock_guard lock(stop_mu);
        connections_closed = true;
    }
    stop_cv.notify_all();
    if (watchdog.joinable()) watchdog.join();

    // Every connection is gone: no more messages can arrive. Write what is queued, then close the stores.
    bus.Close();
    store_pool.join();
    hash_pool.join();
    messages.Stop();
    spdlog::info("stopped: {} messages written this run", messages.written());
    return 0;
}

}  // namespace rooms
