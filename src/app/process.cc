#include "app/process.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/otlp/otlp_http_exporter.h"
#include "app/secrets_file.h"

namespace rooms {

namespace fs = std::filesystem;

namespace {

std::unique_ptr<Tracer> MakeTracer(const Config& c, Metrics& metrics) {
    const TracingSettings& t = c.tracing;
    if (t.endpoint.empty()) return std::make_unique<Tracer>();
    TracerOptions o;
    o.sample_ratio = t.sample_ratio;
    o.queue_max_spans = static_cast<std::size_t>(t.queue_max_spans);
    o.batch_max_spans = static_cast<std::size_t>(t.batch_max_spans);
    o.flush_interval = std::chrono::milliseconds(t.flush_interval_ms);
    auto spans =
        metrics.Counters("rooms_trace_spans_total", "Sampled spans, by what became of them (exported, dropped).");
    o.spans_exported = spans.With({{"result", "exported"}});
    o.spans_dropped = spans.With({{"result", "dropped"}});
    o.export_errors = metrics.AddCounter("rooms_trace_export_errors_total", "Span batches the collector did not take.");
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    TraceResource resource{"rooms-" + c.role, std::to_string(c.node_id), host, ROOMS_VERSION};
    auto exporter = std::make_unique<OtlpHttpExporter>(t.endpoint, std::move(resource),
                                                       std::chrono::milliseconds(t.export_timeout_ms));
    spdlog::info("tracing: spans to {} as rooms-{}, sample ratio {}", t.endpoint, c.role, t.sample_ratio);
    return std::make_unique<Tracer>(o, std::move(exporter));
}

}  // namespace

Process::Process(const Config& config) : tracer(MakeTracer(config, metrics)), config_(config) {}

Process::~Process() {
    front.reset();                              // what is left of the connections may still use the parts
    while (!parts_.empty()) parts_.pop_back();  // reverse order of construction
}

void Process::Run() {
    if (!front) throw std::logic_error("role " + config_.role + " has no front to serve");
    Front& f = *front;
    f.server->Start(ParseListenAddress(config_.listen));
    spdlog::info("rooms {} role={} node_id={} {} on {}://{}", ROOMS_VERSION, config_.role, config_.node_id,
                 f.description, f.tls ? "https" : "http", config_.listen);
    if (f.tls) spdlog::info("tls: certificate {}", f.tls->Describe());
    // SIGHUP: the certificate and key again (certbot's deploy hook, cert-manager's renewed Secret). A bad pair is
    // refused and the current one kept.
    asio::signal_set reload(f.io, SIGHUP);
    std::function<void()> wait_reload = [&] {
        reload.async_wait([&](beast::error_code ec, int) {
            if (ec) return;
            if (!f.tls) {
                spdlog::info("received SIGHUP: nothing to reload (TLS is off)");
            } else if (auto problem = f.tls->Reload()) {
                spdlog::error("received SIGHUP: TLS reload refused, keeping the current certificate: {}", *problem);
            } else {
                spdlog::info("received SIGHUP: TLS reloaded, new connections get certificate {}", f.tls->Describe());
            }
            wait_reload();
        });
    };
    wait_reload();
    // On SIGINT/SIGTERM: graceful shutdown. The I/O threads return by themselves once the last connection has
    // unwound; a watchdog stops them if something still lingers a few seconds later.
    std::mutex stop_mu;
    std::condition_variable stop_cv;
    bool connections_closed = false;
    std::thread watchdog;
    asio::signal_set signals(f.io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("received signal {}: shutting down", sig);
        beast::error_code ignored;
        reload.cancel(ignored);
        f.server->Shutdown(std::chrono::seconds(config_.shutdown_grace_s), [&] {
            std::lock_guard lock(stop_mu);
            connections_closed = true;
            stop_cv.notify_all();
        });
        watchdog = std::thread([&] {
            std::unique_lock lock(stop_mu);
            stop_cv.wait(lock, [&] { return connections_closed; });
            if (!stop_cv.wait_for(lock, std::chrono::seconds(3), [&] { return f.io.stopped(); })) {
                spdlog::warn("shutdown: stopping the I/O threads with work still pending");
                f.io.stop();
            }
        });
    });

    std::vector<std::thread> threads;
    for (int i = 1; i < f.io_threads; ++i) threads.emplace_back([&] { f.io.run(); });
    f.io.run();
    for (auto& t : threads) t.join();
    {
        std::lock_guard lock(stop_mu);
        connections_closed = true;
    }
    stop_cv.notify_all();
    if (watchdog.joinable()) watchdog.join();
    for (auto& pool : f.pools) pool->join();
}

std::unique_ptr<TlsContext> MakeTls(const Config& config) {
    if (config.tls.cert_file.empty()) return nullptr;
    return std::make_unique<TlsContext>(config.tls);
}

ReadinessCheck Required(std::string name, std::function<std::optional<std::string>()> fn) {
    return ReadinessCheck{std::move(name), std::move(fn), true};
}

ReadinessCheck Optional(std::string name, std::function<std::optional<std::string>()> fn) {
    return ReadinessCheck{std::move(name), std::move(fn), false};
}

fs::path FindBesideBinary(const fs::path& relative, const std::string& marker_file) {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (const fs::path& candidate : {exe.parent_path().parent_path() / relative, relative}) {
        if (fs::exists(candidate / marker_file, ec)) return fs::absolute(candidate, ec);
    }
    return {};
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

}  // namespace rooms
