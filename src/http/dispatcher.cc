#include "http/dispatcher.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "common/text.h"
#include "http/http_metrics.h"
#include "http/request_policy.h"
#include "http/responses.h"
#include "http/static_files.h"

namespace rooms {

Dispatcher::Dispatcher(const Router& router, DispatcherParts parts) : router_(router), parts_(std::move(parts)) {
    for (const Route& r : router_.routes()) {
        const RouteFlags& f = r.flags;
        if ((f.rate_limited && !parts_.rate_limiter) || (f.auth && !parts_.authenticate) ||
            ((f.room || f.websocket) && !parts_.blocking_pool) || (f.room && !parts_.find_room) ||
            (f.websocket && (!parts_.upgrade || !f.room)))
            throw std::logic_error("Dispatcher: a route asks for a part of request policy it was not given");
    }
    if (parts_.static_files && !parts_.static_files->complete() && !parts_.blocking_pool)
        throw std::logic_error("Dispatcher: static files read from disk need a blocking pool");
}

asio::awaitable<Response> Dispatcher::Handle(Request& req, const std::string& client_ip, HttpConnection& conn) {
    auto target = ParseRequestTarget(req.target());
    if (!target) co_return ErrorResponse(http::status::bad_request, "malformed request target");
    // RFC 9112 §3.2.2: an absolute-form target's authority replaces Host (the Origin check compares with it).
    if (target->authority) req.set(http::field::host, *target->authority);
    const std::string& path = target->path;
    std::map<std::string, std::string>& query = target->query;

    auto match = router_.Find(req.method(), path);
    if (!match.route) {
        if (match.path_known) {
            Response res = ErrorResponse(http::status::method_not_allowed, "method not allowed");
            res.set(http::field::allow, match.allow);
            co_return res;
        }
        if (!parts_.static_files || router_.IsApiPath(path) ||
            (req.method() != http::verb::get && req.method() != http::verb::head))
            co_return ErrorResponse(http::status::not_found, "not found");
        if (std::optional<Response> file = parts_.static_files->Find(req, path)) co_return std::move(*file);
        const std::filesystem::path& dir = parts_.static_files->dir();
        Response file = co_await RunBlocking(*parts_.blocking_pool, [&] { return StaticFile(dir, req, path); });
        co_return file;
    }
    const Route& route = *match.route;
    const RouteFlags& flags = route.flags;
    if (flags.rate_limited) {
        auto decision = parts_.rate_limiter->Take(client_ip);
        if (!decision.allowed) {
            Response res = ErrorResponse(http::status::too_many_requests, "too many requests");
            res.set(http::field::retry_after, std::to_string(decision.retry_after_s));
            co_return res;
        }
    }
    if (flags.json_body && IsFormContentType(req))
        co_return ErrorResponse(http::status::unsupported_media_type,
                                "Content-Type must be application/json (or left out), not a form's");
    RequestContext ctx{req, std::move(match.params), std::move(query), client_ip, std::nullopt, std::nullopt};
    if (flags.auth) {
        const std::string_view token = BearerToken(req, ctx.query);
        if (token.empty()) co_return ErrorResponse(http::status::unauthorized, "missing access token");
        auto who = parts_.authenticate(token);
        if (!who) co_return ErrorResponse(who.error());
        ctx.principal = std::move(*who);
    }
    const bool upgrade = flags.websocket && websocket::is_upgrade(req);
    if (upgrade && !OriginAllowed(req, parts_.allowed_origins, conn.peer_trusted()))
        co_return ErrorResponse(http::status::forbidden, "origin not allowed");
    if (flags.room) {
        const auto room_id = ParseId(ctx.params.at(0));
        if (!room_id) co_return ErrorResponse(http::status::not_found, "room not found");
        auto room = co_await RunBlocking(*parts_.blocking_pool, [&] { return parts_.find_room(*room_id); });
        if (!room) co_return ErrorResponse(room.error());
        ctx.room = std::move(*room);
    }
    if (upgrade) {
        if (conn.server_stopping())
            co_return ErrorResponse(http::status::service_unavailable, "server is shutting down");
        spdlog::info("http {} \"GET {}\" 101{}", client_ip, path, TraceLogFields(req));
        parts_.upgrade(conn.TakeStream(), std::move(req), ctx);
        co_return Response{};
    }
    try {
        co_return co_await route.handler(ctx);
    } catch (const std::exception& e) {
        spdlog::error("http {} {}: {}", client_ip, path, e.what());
        co_return ErrorResponse(http::status::internal_server_error, "internal error");
    }
}

}  // namespace rooms
