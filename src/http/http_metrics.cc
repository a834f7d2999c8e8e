#include "http/http_metrics.h"

#include <boost/url.hpp>
#include <chrono>

namespace rooms {

namespace {

std::string PatternOf(const Route& route) {
    std::string pattern;
    for (const auto& segment : route.segments) pattern += "/" + segment;
    return pattern.empty() ? "/" : pattern;
}

}  // namespace

std::string RouteLabel(const Router& router, const Request& req) {
    auto parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) return "other";
    const auto match = router.Find(req.method(), parsed->path());
    return match.route ? PatternOf(*match.route) : "other";
}

MeteredHandler::MeteredHandler(std::unique_ptr<RequestHandler> inner, const Router& router, Metrics& metrics)
    : inner_(std::move(inner)),
      router_(router),
      requests_(metrics.Counters("rooms_http_requests_total", "HTTP requests answered, by route, method and status.")),
      duration_(metrics.Histograms("rooms_http_request_duration_seconds",
                                   "Time from a request read to its response ready, by route and method.",
                                   LatencyBuckets())) {}

asio::awaitable<Response> MeteredHandler::Handle(Request& req, const std::string& client_ip, HttpConnection& conn) {
    const auto started = std::chrono::steady_clock::now();
    // Taken before the handler runs: a WebSocket upgrade moves the request away.
    const std::string route = RouteLabel(router_, req);
    const std::string method(http::to_string(req.method()));  // "<unknown>" for a verb Beast does not know
    Response res = co_await inner_->Handle(req, client_ip, conn);
    const bool upgraded = conn.upgraded();
    requests_
        .With({{"route", route}, {"method", method}, {"status", upgraded ? "101" : std::to_string(res.result_int())}})
        .Inc();
    if (!upgraded)
        duration_.With({{"route", route}, {"method", method}})
            .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return res;
}

void AddMetricsRoute(Router& router, asio::thread_pool& pool, Metrics& metrics) {
    router.Add(http::verb::get, "/metrics", {}, [&pool, &metrics](RequestContext&) -> asio::awaitable<Response> {
        Response res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = co_await RunBlocking(pool, [&metrics] { return metrics.Scrape(); });
        co_return res;
    });
}

}  // namespace rooms
