#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/asio.h"
#include "http/router.h"

namespace rooms {

/// A readiness check: nullopt when fine, else why not. May block (runs on a worker). A check that is not
/// `required` guards something the process works without (e.g. presence): failing, it degrades readiness instead
/// of failing it. Every component with something to report offers `std::optional<std::string> Health()`.
struct ReadinessCheck {
    std::string name;
    std::function<std::optional<std::string>()> check;
    bool required = true;
};

/// What the checks found: "name: why; ..." of the failed required and optional checks, "" when none.
struct Readiness {
    std::string problems;
    std::string degraded;
};

/// Runs every check (blocking); a check that throws fails with the exception's message.
Readiness CheckReadiness(const std::vector<ReadinessCheck>& checks);
/// 503 {"message":"not ready: <problems>"}, 200 {"status":"degraded","degraded":"<what>"} or
/// 200 {"status":"ready"}.
Response ReadinessResponse(const Readiness& readiness);

/// The checks' answer, run at most once per `ttl`: every caller within it gets the last one, so /readyz costs one
/// run of the checks a second however often it is asked (it is not rate limited). Get blocks while a run is due or
/// in progress. Thread-safe.
class CachedReadiness {
  public:
    CachedReadiness(const std::vector<ReadinessCheck>& checks, std::chrono::milliseconds ttl)
        : checks_(checks), ttl_(ttl) {}
    Readiness Get();

  private:
    const std::vector<ReadinessCheck>& checks_;
    const std::chrono::milliseconds ttl_;
    std::mutex mu_;
    std::optional<std::chrono::steady_clock::time_point> checked_at_;  // guarded by mu_
    Readiness last_;                                                   // guarded by mu_
};

/// How long a /readyz answer is reused.
inline constexpr std::chrono::milliseconds kReadinessCacheTtl{1000};

/// Adds GET /healthz (200 while the process runs; answers from memory) and GET /readyz (the checks, run on `pool`
/// at most once per kReadinessCacheTtl) to `router`; neither is rate limited. Every role serves them: the gateway
/// beside its API, the consumer alone. `checks` must outlive the router; it may still grow until the first request.
void AddProbeRoutes(Router& router, asio::thread_pool& pool, const std::vector<ReadinessCheck>& checks);

}  // namespace rooms
