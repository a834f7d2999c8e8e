// http: one API call (login, register or list rooms) at a fixed rate, open loop: each request starts at its
// scheduled time on a keep-alive connection of a pool, and its latency counts from that scheduled time.

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <thread>

#include "net.h"
#include "report.h"
#include "scenarios.h"

namespace rooms_bench {

using asio::use_awaitable;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace http = beast::http;

namespace {

struct ThreadFigures {
    LatencyHistogram latency;                // successful calls
    std::map<int, std::uint64_t> by_status;  // 0: transport error
    std::uint64_t dropped = 0;               // not started: too many in flight
    std::int64_t last_done_ns = 0;
    int in_flight = 0;
    std::vector<std::unique_ptr<HttpConnection>> idle;
};

}  // namespace

int RunHttp(const CommonOptions& common, const HttpOptions& o) {
    if (o.op != "login" && o.op != "register" && o.op != "rooms") {
        std::cerr << "http: --op must be login, register or rooms\n";
        return 1;
    }
    if (o.rate <= 0 || o.users < 1) {
        std::cerr << "http: --rate and --users must be positive\n";
        return 1;
    }
    RaiseFileLimit();
    const Target target = Target::Parse(common.url, common.api_prefix);
    const std::string tag = RunTag();
    std::vector<Session> sessions;
    if (o.op != "register") sessions = RegisterAndLogin(target, "bench_" + tag + "_", o.users);
    std::vector<std::string> credentials;
    for (const auto& s : sessions)
        credentials.push_back(
            json::serialize(json::object{{"nickname", s.nickname}, {"password", "bench-password-1"}}));

    IoThreads io(common.threads);
    std::vector<std::unique_ptr<ThreadFigures>> figures;
    for (int t = 0; t < io.size(); ++t) figures.push_back(std::make_unique<ThreadFigures>());
    std::atomic<int> active{0};
    ServerStats server(common.server_pids);
    server.Begin();
    const std::int64_t t0 = NowNs() + 100'000'000;
    const std::int64_t t_end = t0 + static_cast<std::int64_t>(common.duration_s * 1e9);
    const auto interval_ns = static_cast<std::int64_t>(1e9 * io.size() / o.rate);
    const int max_in_flight_per_thread = std::max(1, o.max_in_flight / io.size());

    for (int t = 0; t < io.size(); ++t) {
        ++active;
        asio::co_spawn(
            io.Get(t),
            [&, t]() -> asio::awaitable<void> {
                auto ex = co_await asio::this_coro::executor;
                ThreadFigures& f = *figures[static_cast<std::size_t>(t)];
                asio::steady_timer timer(ex);
                const auto offset = static_cast<std::int64_t>(1e9 / o.rate * t);
                for (std::int64_t k = 0;; ++k) {
                    const std::int64_t at = t0 + offset + k * interval_ns;
                    if (at >= t_end) break;
                    timer.expires_at(SteadyClock::time_point(std::chrono::nanoseconds(at)));
                    beast::error_code ec;
                    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
                    if (f.in_flight >= max_in_flight_per_thread) {
                        ++f.dropped;
                        continue;
                    }
                    ++f.in_flight;
                    ++active;
                    asio::co_spawn(
                        ex,
                        [&, at, k, t, ex, fp = &f]() -> asio::awaitable<void> {
                            ThreadFigures& f = *fp;
                            std::unique_ptr<HttpConnection> c;
                            if (!f.idle.empty()) {
                                c = std::move(f.idle.back());
                                f.idle.pop_back();
                            } else {
                                c = std::make_unique<HttpConnection>(ex, target);
                            }
                            HttpResult r;
                            const auto n = static_cast<std::size_t>(k * io.size() + t);
                            if (o.op == "login") {
                                r = co_await c->Request(http::verb::post, target.Path("/user/login"),
                                                        credentials[n % credentials.size()]);
                            } else if (o.op == "register") {
                                std::string body =
                                    json::serialize(json::object{{"nickname", "reg_" + tag + "_" + std::to_string(n)},
                                                                 {"password", "bench-password-1"}});
                                r = co_await c->Request(http::verb::post, target.Path("/user/register"),
                                                        std::move(body));
                            } else {
                                r = co_await c->Request(http::verb::get, target.Path("/chat/rooms"), {},
                                                        sessions[n % sessions.size()].access_token);
                            }
                            const std::int64_t now = NowNs();
                            ++f.by_status[r.status];
                            if (r.status == 200)
                                f.latency.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - at)));
                            f.last_done_ns = std::max(f.last_done_ns, now);
                            f.idle.push_back(std::move(c));
                            --f.in_flight;
                        },
                        [&](std::exception_ptr) { --active; });
                }
            },
            [&](std::exception_ptr) { --active; });
    }
    while (NowNs() < t_end) std::this_thread::sleep_for(20ms);
    const auto deadline = SteadyClock::now() + 60s;
    while (active > 0 && SteadyClock::now() < deadline) std::this_thread::sleep_for(20ms);
    server.End();

    LatencyHistogram latency;
    std::map<int, std::uint64_t> by_status;
    std::uint64_t dropped = 0;
    std::int64_t last_done = t0;
    for (auto& f : figures) {
        latency.Merge(f->latency);
        for (auto [s, n] : f->by_status) by_status[s] += n;
        dropped += f->dropped;
        last_done = std::max(last_done, f->last_done_ns);
    }
    std::uint64_t errors = dropped;
    for (auto [s, n] : by_status)
        if (s != 200) errors += n;
    const double run_s = static_cast<double>(t_end - t0) / 1e9;
    const double done_s = std::max(run_s, static_cast<double>(last_done - t0) / 1e9);

    Report report("http");
    report.Add("op", o.op);
    report.Add("target_rate", o.rate, "req/s");
    report.Add("duration_s", common.duration_s, "s");
    report.Add("ok", by_status.count(200) ? by_status[200] : 0);
    report.Add("ok_per_s", static_cast<double>(latency.Count()) / done_s, "req/s");
    report.AddLatency("latency", latency);
    report.Add("errors", errors);
    for (auto [s, n] : by_status)
        if (s != 200) report.Add(s == 0 ? std::string("transport_errors") : "status_" + std::to_string(s), n);
    report.Add("dropped", dropped);
    report.Add("still_in_flight", active.load());
    server.AddTo(report);
    report.Print();
    int rc = (errors || latency.Count() == 0 || active > 0) ? 2 : 0;
    if (!common.json_file.empty() && !report.WriteJson(common.json_file)) rc = rc ? rc : 1;
    if (active > 0) {
        // Requests still stuck after a minute: leave them (and their figures) behind rather than wait.
        for (auto& f : figures) (void)f.release();
    }
    io.Stop();
    return rc;
}

}  // namespace rooms_bench
