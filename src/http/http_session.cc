#include "http/http_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/http_metrics.h"
#include "http/request_policy.h"
#include "http/responses.h"

namespace rooms {

HttpSessionOptions HttpSessionOptions::From(const HttpSettings& http) {
    return {static_cast<std::size_t>(http.body_limit_bytes),
            static_cast<std::size_t>(http.header_limit_bytes),
            std::chrono::seconds(http.request_timeout_s),
            std::chrono::seconds(std::min(http.header_timeout_s, http.request_timeout_s)),
            std::chrono::seconds(std::min(http.idle_timeout_s, http.request_timeout_s)),
            IpNetworks::ParseOrThrow(http.trusted_proxies)};
}

namespace {

// How long a TLS peer gets to answer our close_notify when a connection ends.
constexpr auto kTlsCloseTimeout = std::chrono::seconds(2);
// What one read takes while waiting for a request's first byte.
constexpr std::size_t kFirstReadBytes = 4096;

// The answer to a request that could not be read, or nullopt when the connection just ended.
std::optional<Response> ReadErrorResponse(const beast::error_code& ec, const HttpSessionOptions& options) {
    if (ec == http::error::body_limit)
        return ErrorResponse(http::status::payload_too_large,
                             "request body is larger than " + std::to_string(options.body_limit_bytes) + " bytes");
    if (ec == http::error::header_limit)
        return ErrorResponse(http::status::request_header_fields_too_large, "request headers are too large");
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message)
        return ErrorResponse(http::status::bad_request, "malformed HTTP request");
    return std::nullopt;
}

}  // namespace

asio::awaitable<void> ServeHttp(Transport stream, RequestHandler& handler, const HttpSessionOptions& options,
                                ConnectionRegistry& registry, const std::atomic<bool>& stopping) {
    beast::error_code ep_ec;
    const auto endpoint = stream.tcp().socket().remote_endpoint(ep_ec);
    const std::string peer_ip = ep_ec ? "unknown" : endpoint.address().to_string();
    auto conn =
        std::make_shared<HttpConnection>(std::move(stream), stopping, options.trusted_proxies.Contains(peer_ip));
    ConnectionGuard registered(registry, conn);
    beast::flat_buffer buffer;
    bool first = true;

    while (!conn->draining_) {
        // Idle until the request's first byte (unless a pipelined one is buffered): a full server may reclaim the
        // connection meanwhile (HttpServer).
        if (buffer.size() == 0) {
            conn->BecomeIdle();
            conn->stream_.tcp().expires_after(first ? options.header_timeout : options.idle_timeout);
            auto [ec, n] = co_await conn->stream_.async_read_some(buffer.prepare(kFirstReadBytes),
                                                                  asio::as_tuple(asio::use_awaitable));
            buffer.commit(n);
            if (ec || n == 0) break;  // closed, reclaimed, or idle too long: nothing to answer
        }
        if (!conn->BecomeBusy()) break;
        first = false;
        const auto deadline = std::chrono::steady_clock::now() + options.request_timeout;
        http::request_parser<http::string_body> parser;
        parser.body_limit(options.body_limit_bytes);
        parser.header_limit(static_cast<std::uint32_t>(options.header_limit_bytes));
        conn->stream_.tcp().expires_at(std::min(deadline, std::chrono::steady_clock::now() + options.header_timeout));
        auto [ec, n] =
            co_await http::async_read_header(conn->stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
        std::optional<Response> refusal;
        std::string why;
        if (ec) {
            refusal = ReadErrorResponse(ec, options);
            why = ec.message();
        } else if (auto problem = HeadProblem(parser.get())) {
            // Nothing after this head can be framed for sure: answer and close, never read on.
            refusal = ErrorResponse(http::status::bad_request, *problem);
            why = *problem;
        } else {
            conn->stream_.tcp().expires_at(deadline);
            std::tie(ec, n) =
                co_await http::async_read(conn->stream_, buffer, parser, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                refusal = ReadErrorResponse(ec, options);
                why = ec.message();
            }
        }
        if (ec || refusal) {
            if (refusal) {
                spdlog::info("http {} malformed request: {} -> {}", peer_ip, why, refusal->result_int());
                refusal->keep_alive(false);
                refusal->set(http::field::server, "rooms");
                refusal->prepare_payload();
                co_await http::async_write(conn->stream_, *refusal, asio::as_tuple(asio::use_awaitable));
            }
            break;
        }
        Request req = parser.release();
        const std::string client_ip = ClientIp(req, peer_ip, options.trusted_proxies);
        const auto started = std::chrono::steady_clock::now();
        Response res = co_await handler.Handle(req, client_ip, *conn);
        if (conn->upgraded_) co_return;  // the stream is a WebSocket session's now, which runs on by itself
        res.version(req.version());
        res.keep_alive(req.keep_alive() && !conn->draining_ && !stopping);
        res.set(http::field::server, "rooms");
        res.prepare_payload();
        if (req.method() == http::verb::head) res.body().clear();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        // The target's query is left out on purpose: access_token travels there.
        const std::string_view target = req.target();
        spdlog::info("http {} \"{} {}\" {} {:.1f}ms{}", client_ip, std::string_view(req.method_string()),
                     target.substr(0, target.find('?')), res.result_int(), ms, TraceLogFields(req));
        conn->stream_.tcp().expires_after(options.request_timeout);
        auto [wec, wn] = co_await http::async_write(conn->stream_, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive()) break;
    }
    co_await conn->stream_.Shutdown(kTlsCloseTimeout);
}

}  // namespace rooms
