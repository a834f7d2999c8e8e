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

MeteredHandler::MeteredHandler(std::unique_ptr<RequestHandler> inner, const Router& router, Metrics& metrics,
                               Tracer* tracer)
    : inner_(std::move(inner)),
      router_(router),
      requests_(metrics.Counters("rooms_http_requests_total", "HTTP requests answered, by route, method and status.")),
      duration_(metrics.Histograms("rooms_http_request_duration_seconds",
                                   "Time from a request read to its response ready, by route and method.",
                                   LatencyBuckets())),
      tracer_(tracer) {}

Span MeteredHandler::StartSpan(const Request& req, const std::string& route, const std::string& method) const {
    const auto parent = TraceContext::Parse(req[kTraceparentHeader]);
    if (!tracer_) return Span(parent.value_or(TraceContext{}));
    // Probes and scrapes come every few seconds from machines, not users: no trace of their own.
    if (!parent && (route == "/healthz" || route == "/readyz" || route == "/metrics")) return Span();
    Span span = tracer_->StartSpan(method + " " + route, SpanKind::kServer, parent.value_or(TraceContext{}));
    if (span.recording()) {
        span.SetAttribute("http.request.method", method);
        span.SetAttribute("http.route", route);
    }
    return span;
}

asio::awaitable<Response> MeteredHandler::Handle(Request& req, const std::string& client_ip, HttpConnection& conn) {
    const auto started = std::chrono::steady_clock::now();
    // Taken before the handler runs: a WebSocket upgrade moves the request away.
    const std::string route = RouteLabel(router_, req);
    const std::string method(http::to_string(req.method()));  // "<unknown>" for a verb Beast does not know
    Span span = StartSpan(req, route, method);
    if (span.context().valid()) req.set(kTraceparentHeader, span.context().ToTraceparent());
    Response res = co_await inner_->Handle(req, client_ip, conn);
    const bool upgraded = conn.upgraded();
    if (span.recording()) {
        const unsigned status = upgraded ? 101U : res.result_int();
        span.SetAttribute("http.response.status_code", static_cast<std::int64_t>(status));
        if (status >= 500U) span.SetError(std::string(res.reason()));
    }
    requests_
        .With({{"route", route}, {"method", method}, {"status", upgraded ? "101" : std::to_string(res.result_int())}})
        .Inc();
    if (!upgraded)
        duration_.With({{"route", route}, {"method", method}})
            .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    co_return res;
}

std::string TraceLogFields(const Request& req) {
    const auto trace = TraceContext::Parse(req[kTraceparentHeader]);
    if (!trace) return {};
    return " trace_id=" + trace->TraceIdHex() + " span_id=" + trace->SpanIdHex();
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
