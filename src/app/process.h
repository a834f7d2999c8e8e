#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/id_generator.h"
#include "domain/ports.h"
#include "domain/time_source.h"
#include "http/asio.h"
#include "http/http_server.h"
#include "http/probes.h"
#include "metrics/metrics.h"
#include "services/room_hub.h"
#include "services/session_registry.h"
#include "tracing/tracer.h"

namespace rooms {

/// The ports the modules of a process build and share. A module fills in what it provides; a module that needs a
/// port nobody provided throws at start (Require).
struct Ports {
    UserStore* users = nullptr;
    RefreshTokenStore* tokens = nullptr;
    RoomStore* rooms = nullptr;
    MessageStore* messages = nullptr;
    MessageBus* bus = nullptr;
    Presence* presence = nullptr;
    HistoryCache* history = nullptr;
    RecentMessages* recent = nullptr;  // messages fanned out but not stored yet (distributed gateways)
    IdGenerator* ids = nullptr;
    RoomHub* hub = nullptr;                // the gateway's fan-out to its connections
    SessionRegistry* sessions = nullptr;   // revoked login sessions and the sockets of each live one (gateways)
    RevocationBus* revocations = nullptr;  // tells the other gateways of a revoked session (distributed gateways)
    /// The in-process bus (role all): adds a sink that sees every accepted message, in the order sinks were added.
    std::function<void(MessageSink&)> subscribe;
    /// Whether the JWT key may be generated on first start (the embedded store: one process, its own key); the
    /// gateways of a cluster must share one, so they are given it.
    bool may_generate_jwt_key = false;
};

/// The HTTP front a process serves until SIGINT/SIGTERM: the gateway's or the probes'.
struct Front {
    asio::io_context io;
    int io_threads = 1;
    std::vector<std::unique_ptr<asio::thread_pool>> pools;  // joined after the front stops
    std::unique_ptr<RequestHandler> handler;
    std::unique_ptr<TlsContext> tls;  // null: plain HTTP (tls.* unset)
    std::unique_ptr<HttpServer> server;
    std::string description;  // logged at start
    explicit Front(int threads) : io(threads), io_threads(threads) {}
};

/// One `rooms` process: the parts its modules built, in the order they were built. Run serves the front until a
/// signal; the destructor then takes the parts down in reverse order (each part's destructor stops what it runs:
/// a bus flushes, a consumer commits, a store writes what it holds), so a part may use anything built before it.
class Process {
  public:
    explicit Process(const Config& config);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    const Config& config() const { return config_; }
    const TimeSource& time() const { return RealTimeSource::Instance(); }
    Ports ports;
    /// The process's metrics, served at /metrics by its front. Outlives the front and every part.
    Metrics metrics;
    /// The process's tracer (tracing.*): off without `tracing.endpoint`. Outlives every part; flushes at the end.
    std::unique_ptr<Tracer> tracer;
    /// Every module's readiness checks, served at /readyz. Complete once every module is built.
    std::vector<ReadinessCheck> readiness;
    std::unique_ptr<Front> front;

    /// Keeps a module's part alive until the process ends (destroyed in reverse order).
    template <typename T>
    T& Own(std::unique_ptr<T> part) {
        T& ref = *part;
        parts_.push_back(std::shared_ptr<void>(std::move(part)));
        return ref;
    }

    /// The port or a start-up error naming who needed it.
    template <typename T>
    T& Require(T* port, const char* what, const char* module) const {
        if (!port)
            throw std::logic_error(std::string("module ") + module + " needs " + what + ", which no module of role " +
                                   config_.role + " provides");
        return *port;
    }

    /// Serves the front until SIGINT or SIGTERM, then shuts it down gracefully (shutdown_grace_s) and returns. On
    /// SIGHUP the TLS certificate and key are read again (new connections get them; open ones are left alone).
    void Run();

  private:
    const Config& config_;
    std::vector<std::shared_ptr<void>> parts_;
};

/// A readiness check whose failure fails readiness; one that only degrades it.
ReadinessCheck Required(std::string name, std::function<std::optional<std::string>()> fn);
ReadinessCheck Optional(std::string name, std::function<std::optional<std::string>()> fn);

/// The front's TLS credentials from tls.*, or null when TLS is off. Throws when the files are missing or do not match.
std::unique_ptr<TlsContext> MakeTls(const Config& config);

/// The JWT key: auth.jwt_secret, else the key file (auth.jwt_secret_file, else <data_dir>/jwt.key), created on
/// first start only when `may_generate`.
std::string JwtKey(const Config& config, bool may_generate);

/// The folder `relative` found beside the binary's source tree (build/rooms -> ../relative) or in the working
/// directory; empty when neither exists.
std::filesystem::path FindBesideBinary(const std::filesystem::path& relative, const std::string& marker_file);

}  // namespace rooms
