#include "http/probes.h"

#include "http/json_codec.h"
#include "http/responses.h"

namespace rooms {

void AddProbeRoutes(Router& router, asio::thread_pool& pool, const std::vector<ReadinessCheck>& checks) {
    router.Add(http::verb::get, "/healthz", {}, [](RequestContext&) -> asio::awaitable<Response> {
        co_return JsonResponse(http::status::ok, R"({"status":"ok"})");
    });
    auto cache = std::make_shared<CachedReadiness>(checks, kReadinessCacheTtl);
    router.Add(http::verb::get, "/readyz", {}, [&pool, cache](RequestContext&) -> asio::awaitable<Response> {
        co_return ReadinessResponse(co_await RunBlocking(pool, [&] { return cache->Get(); }));
    });
}

Readiness CachedReadiness::Get() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!checked_at_ || now - *checked_at_ >= ttl_) {
        last_ = CheckReadiness(checks_);
        checked_at_ = std::chrono::steady_clock::now();
    }
    return last_;
}

Readiness CheckReadiness(const std::vector<ReadinessCheck>& checks) {
    Readiness out;
    for (const auto& r : checks) {
        std::optional<std::string> why;
        try {
            why = r.check();
        } catch (const std::exception& e) {
            why = e.what();
        }
        if (!why) continue;
        std::string& list = r.required ? out.problems : out.degraded;
        list += (list.empty() ? "" : "; ") + r.name + ": " + *why;
    }
    return out;
}

Response ReadinessResponse(const Readiness& readiness) {
    if (!readiness.problems.empty()) {
        std::string why = "not ready: " + readiness.problems;
        if (!readiness.degraded.empty()) why += "; degraded: " + readiness.degraded;
        return ErrorResponse(http::status::service_unavailable, why);
    }
    if (!readiness.degraded.empty())
        return JsonResponse(http::status::ok,
                            json::serialize(json::object{{"status", "degraded"}, {"degraded", readiness.degraded}}));
    return JsonResponse(http::status::ok, R"({"status":"ready"})");
}

}  // namespace rooms
