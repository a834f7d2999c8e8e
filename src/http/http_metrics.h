#pragma once

#include <memory>
#include <string>

#include "http/asio.h"
#include "http/http_session.h"
#include "http/router.h"
#include "metrics/metrics.h"
#include "tracing/tracer.h"

namespace rooms {

/// Counts and times every request another handler answers: rooms_http_requests_total{route,method,status} and
/// rooms_http_request_duration_seconds{route,method}. `route` is the matched route's pattern without the /api prefix
/// ("/rooms/{id}/messages"), or "other" for a path no route knows (the web UI's files, 404s, 405s), so the labels
/// stay few. A WebSocket upgrade is counted with status 101 when it ends, and not timed (its time is the socket's).
///
/// With a tracer, each request is also a server span "METHOD route", the child of the request's `traceparent` when
/// it has a valid one (else a new trace; the probes and /metrics start none), and the request's `traceparent` header
/// is replaced by that span's context: what the handlers, the room socket and the access log line see.
class MeteredHandler : public RequestHandler {
  public:
    MeteredHandler(std::unique_ptr<RequestHandler> inner, const Router& router, Metrics& metrics,
                   Tracer* tracer = nullptr);

    asio::awaitable<Response> Handle(Request& req, const std::string& client_ip, HttpConnection& conn) override;

  private:
    Span StartSpan(const Request& req, const std::string& route, const std::string& method) const;

    std::unique_ptr<RequestHandler> inner_;
    const Router& router_;
    CounterFamily requests_;
    HistogramFamily duration_;
    Tracer* const tracer_;
};

/// " trace_id=<hex> span_id=<hex>" of the request's `traceparent` (what MeteredHandler left there), for its log
/// line (JSON logs make them fields); empty when it has none.
std::string TraceLogFields(const Request& req);

/// The route pattern a request matches ("/rooms/{id}"), or "other". Pure, for tests.
std::string RouteLabel(const Router& router, const Request& req);

/// Adds GET /metrics: `metrics` in Prometheus's text format, serialized on `pool` so a scrape never holds an I/O
/// thread. Not rate limited, like the probes. `metrics` must outlive the router.
void AddMetricsRoute(Router& router, asio::thread_pool& pool, Metrics& metrics);

}  // namespace rooms
