#include "app/gateway.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "app/secrets_file.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "http/responses.h"
#include "http/server.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/room_service.h"

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

}  // namespace

fs::path FindBesideBinary(const fs::path& relative, const std::string& marker_file) {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& candidate : {exe.parent_path().parent_path() / relative, relative}) {
        if (fs::exists(candidate / marker_file, ec)) return fs::absolute(candidate, ec);
    }
    return {};
}

std::vector<std::string> SplitList(const std::string& text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= text.size()) {
        std::size_t j = text.find(',', i);
        if (j == std::string::npos) j = text.size();
        std::string item = text.substr(i, j - i);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) out.push_back(item);
        i = j + 1;
    }
    return out;
}

std::string JwtKey(const Config& config, bool may_generate) {
    if (!config.auth.jwt_secret.empty()) return config.auth.jwt_secret;
    const fs::path file = config.auth.jwt_secret_file.empty() ? fs::path(config.data_dir) / "jwt.key"
                                                              : fs::path(config.auth.jwt_secret_file);
    std::error_code ec;
    if (!may_generate && !fs::exists(file, ec))
        throw std::runtime_error(
            "no JWT key: set ROOMS_AUTH_JWT_SECRET (the same on every gateway) or "
            "auth.jwt_secret_file");
    return LoadOrCreateKeyFile(file);
}

void RunUntilSignal(asio::io_context& io, HttpServer& server, int io_threads) {
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
}

void ServeProbes(const Config& config, const std::string& role, std::vector<ReadinessCheck> readiness) {
    asio::io_context io(1);
    asio::thread_pool probe_pool(1);
    ConnectionRegistry registry;
    Router router;
    router.Add(http::verb::get, "/healthz", false, [](RequestContext&) -> asio::awaitable<Response> {
        co_return JsonResponse(http::status::ok, R"({"status":"ok"})");
    });
    router.Add(http::verb::get, "/readyz", false, [&](RequestContext&) -> asio::awaitable<Response> {
        co_return ReadinessResponse(co_await RunBlocking(probe_pool, [&] { return CheckReadiness(readiness); }));
    });
    ServerOptions options;
    options.rate_limit_rps = 0;
    options.node_id = config.node_id;
    HttpServer server(io, options, router, registry, nullptr, nullptr, std::nullopt);
    server.Start(ParseListen(config.listen));
    spdlog::info("rooms {} role={} node_id={} probes on http://{}", ROOMS_VERSION, role, config.node_id, config.listen);
    RunUntilSignal(io, server, 1);
    probe_pool.join();
}

void ServeGateway(const Config& config, const std::string& role, GatewayBackends b) {
    const JwtCodec jwt(JwtKey(config, role == "all"));
    const PasswordHasher hasher;
    AuthService auth(b.users, b.tokens, hasher, jwt,
                     AuthOptions{std::chrono::seconds(config.auth.access_token_ttl_s),
                                 std::chrono::seconds(config.auth.refresh_token_ttl_s)});
    RoomService rooms(b.rooms, b.presence);
    ChatService chat(b.bus, b.history, b.messages, b.ids,
                     ChatOptions{config.chat.history_size, config.chat.max_message_bytes});

    const int io_threads =
        config.io_threads > 0 ? config.io_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    asio::io_context io(io_threads);
    asio::thread_pool store_pool(static_cast<std::size_t>(config.worker_threads));
    asio::thread_pool hash_pool(static_cast<std::size_t>(config.auth.hash_threads));
    ConnectionRegistry registry;

    ApiHandlers api(auth, rooms, chat, store_pool, hash_pool, std::move(b.readiness));
    Router router;
    api.Register(router);

    ServerOptions options;
    options.body_limit_bytes = static_cast<std::size_t>(config.http.body_limit_bytes);
    options.header_limit_bytes = static_cast<std::size_t>(config.http.header_limit_bytes);
    options.request_timeout = std::chrono::seconds(config.http.request_timeout_s);
    options.max_connections = static_cast<std::size_t>(config.http.max_connections);
    options.static_dir =
        config.http.static_dir.empty() ? FindBesideBinary("web/dist", "index.html") : fs::path(config.http.static_dir);
    options.rate_limit_rps = config.rate_limit.rps;
    options.rate_limit_burst = config.rate_limit.burst;
    options.node_id = config.node_id;
    options.trusted_proxies = SplitList(config.http.trusted_proxies);
    options.allowed_origins = SplitList(config.http.allowed_origins);
    ConnectionCaps caps(static_cast<std::size_t>(config.chat.max_connections_per_ip),
                        static_cast<std::size_t>(config.chat.max_connections_per_user));
    RateLimiter user_messages(config.chat.user_messages_per_s, config.chat.user_messages_burst);
    WebSocketDeps ws_deps{b.hub,
                          chat,
                          b.presence,
                          store_pool,
                          registry,
                          WebSocketOptions{static_cast<std::size_t>(config.chat.max_frame_bytes),
                                           static_cast<std::size_t>(config.chat.send_queue_messages),
                                           std::chrono::seconds(config.chat.ping_interval_s)},
                          caps,
                          user_messages};
    HttpServer server(io, options, router, registry, &auth, &rooms, ws_deps);
    server.Start(ParseListen(config.listen));
    spdlog::info("rooms {} role={} node_id={} listening on http://{} web_ui={}", ROOMS_VERSION, role, config.node_id,
                 config.listen, options.static_dir.empty() ? "none" : options.static_dir.string());
    RunUntilSignal(io, server, io_threads);
    store_pool.join();
    hash_pool.join();
}

}  // namespace rooms
