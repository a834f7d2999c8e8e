#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/url.hpp>
#include <cctype>
#include <fstream>
#include <sstream>

#include "common/text.h"
#include "http/responses.h"

namespace rooms {

namespace urls = boost::urls;

namespace {

std::string_view MimeType(const std::filesystem::path& p) {
    const std::string ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

}  // namespace

std::string_view BearerToken(const Request& req, const std::map<std::string, std::string>& query) {
    std::string_view token;
    if (auto it = req.find(http::field::authorization); it != req.end()) {
        token = it->value();
    } else if (auto q = query.find("access_token"); q != query.end()) {
        token = q->second;
    }
    for (std::string_view prefix : {"Bearer ", "bearer ", "Bearer+"}) {
        if (token.starts_with(prefix)) {
            token.remove_prefix(prefix.size());
            break;
        }
    }
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    return token;
}

std::string ClientIp(const Request& req, const std::string& peer_ip, const std::vector<std::string>& trusted_proxies) {
    auto trusted = [&](std::string_view ip) {
        return std::find(trusted_proxies.begin(), trusted_proxies.end(), ip) != trusted_proxies.end();
    };
    if (!trusted(peer_ip)) return peer_ip;
    // Walk X-Forwarded-For from the right (the hops our proxies appended) to the first untrusted address.
    if (auto it = req.find("X-Forwarded-For"); it != req.end()) {
        std::string_view list = it->value();
        while (!list.empty()) {
            const auto comma = list.rfind(',');
            std::string_view hop = comma == std::string_view::npos ? list : list.substr(comma + 1);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
            while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
            while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
            beast::error_code ec;
            asio::ip::make_address(std::string(hop), ec);
            if (ec) break;  // garbage: trust nothing further left
            if (!trusted(hop)) return std::string(hop);
        }
    }
    if (auto it = req.find("X-Real-IP"); it != req.end()) {
        beast::error_code ec;
        const auto addr = asio::ip::make_address(std::string(it->value()), ec);
        if (!ec) return addr.to_string();
    }
    return peer_ip;
}

/// An HTTP keep-alive connection as shutdown sees it: closed at once when idle between requests,
/// else after the response in flight.
class HttpServer::HttpConnection : public Connection, public std::enable_shared_from_this<HttpConnection> {
  public:
    explicit HttpConnection(tcp::socket socket) : executor(socket.get_executor()), stream(std::move(socket)) {}
    void Shutdown() override {
        asio::post(executor, [self = shared_from_this()] {
            self->draining = true;
            if (self->idle && !self->upgraded) self->stream.socket().close();
        });
    }
    void Abort() override {
        asio::post(executor, [self = shared_from_this()] {
            if (!self->upgraded) self->stream.socket().close();
        });
    }
    asio::any_io_executor executor;
    beast::tcp_stream stream;
    bool idle = true;       // strand only
    bool draining = false;  // strand only
    bool upgraded = false;  // strand only: the stream now belongs to a WebSocket session
};

HttpServer::HttpServer(asio::io_context& io, ServerOptions options, Router& router, ConnectionRegistry& registry,
                       const AuthService* auth, RoomService* rooms, std::optional<WebSocketDeps> ws)
    : io_(io),
      options_(std::move(options)),
      router_(router),
      auth_(auth),
      rooms_(rooms),
      ws_deps_(std::move(ws)),
      limiter_(options_.rate_limit_rps, options_.rate_limit_burst),
      registry_(registry),
      acceptor_(io) {}

void HttpServer::Start(const tcp::endpoint& endpoint) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(io_, AcceptLoop(), asio::detached);
}

void HttpServer::Shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
        beast::error_code ec;
        acceptor_.close(ec);
    });
    registry_.ShutdownAll();
    // Poll until every connection is gone; past the grace period, cut the stragglers and give them a
    // moment to unwind, so that no coroutine is left suspended when the I/O threads stop.
    auto timer = std::make_shared<asio::steady_timer>(io_);
    const auto start = std::chrono::steady_clock::now();
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, timer, start, grace, done, poll, aborted = false]() mutable {
        const auto waited = std::chrono::steady_clock::now() - start;
        if (registry_.size() != 0 && waited >= grace && !aborted) {
            spdlog::warn("shutdown: cutting {} connections still open after {} ms", registry_.size(), grace.count());
            registry_.AbortAll();
            aborted = true;
        }
        if (registry_.size() == 0 || waited >= grace + std::chrono::seconds(1)) {
            done();
            *poll = nullptr;  // breaks the self-reference
            return;
        }
        timer->expires_after(std::chrono::milliseconds(20));
        timer->async_wait([poll](beast::error_code) {
            if (*poll) (*poll)();
        });
    };
    asio::post(io_, [poll] { (*poll)(); });
}

asio::awaitable<void> HttpServer::AcceptLoop() {
    for (;;) {
        auto [ec, socket] =
            co_await acceptor_.async_accept(asio::make_strand(io_), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (stopping_ || ec == asio::error::operation_aborted) co_return;
            spdlog::warn("accept: {}", ec.message());
            // Out of descriptors and the like: do not spin.
            asio::steady_timer t(io_, std::chrono::milliseconds(50));
            co_await t.async_wait(asio::use_awaitable);
            continue;
        }
        if (open_connections_.load() >= options_.max_connections) {
            spdlog::warn("accept: {} connections open (http.max_connections), refusing", open_connections_.load());
            beast::error_code ignored;
            socket.close(ignored);
            continue;
        }
        beast::error_code nodelay_ec;
        socket.set_option(tcp::no_delay(true), nodelay_ec);  // chat frames are small: send them now
        auto executor = socket.get_executor();
        asio::co_spawn(executor, Serve(std::move(socket)), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("connection: {}", ex.what());
            }
        });
    }
}

asio::awaitable<void> HttpServer::Serve(tcp::socket socket) {
    ++open_connections_;
    struct Count {
        std::atomic<std::size_t>& n;
        ~Count() { --n; }
    } count{open_connections_};

    beast::error_code ep_ec;
    const auto endpoint = socket.remote_endpoint(ep_ec);
    const std::string peer_ip = ep_ec ? "unknown" : endpoint.address().to_string();
    auto conn = std::make_shared<HttpConnection>(std::move(socket));
    std::optional<ConnectionGuard> registered(std::in_place, registry_, conn);
    beast::flat_buffer buffer;

    while (!conn->draining) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(options_.body_limit_bytes);
        parser.header_limit(static_cast<std::uint32_t>(options_.header_limit_bytes));
        conn->stream.expires_after(options_.request_timeout);
        conn->idle = true;
        auto [ec, n] = co_await http::async_read(conn->stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        conn->idle = false;
        if (ec) {
            std::optional<Response> res;
            if (ec == http::error::body_limit) {
                res = ErrorResponse(
                    http::status::payload_too_large,
                    "request body is larger than " + std::to_string(options_.body_limit_bytes) + " bytes");
            } else if (ec == http::error::header_limit) {
                res = ErrorResponse(http::status::request_header_fields_too_large, "request headers are too large");
            } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message) {
                res = ErrorResponse(http::status::bad_request, "malformed HTTP request");
            }
            if (res) {
                spdlog::info("http {} malformed request: {} -> {}", peer_ip, ec.message(), res->result_int());
                res->keep_alive(false);
                res->prepare_payload();
                co_await http::async_write(conn->stream, *res, asio::as_tuple(asio::use_awaitable));
            }
            break;
        }
        Request req = parser.release();
        const std::string client_ip = ClientIp(req, peer_ip, options_.trusted_proxies);
        const auto started = std::chrono::steady_clock::now();
        Response res = co_await Handle(req, client_ip, *conn);
        if (conn->upgraded) co_return;  // the WebSocket session owned the stream and has finished
        res.version(req.version());
        res.keep_alive(req.keep_alive() && !conn->draining && !stopping_);
        res.set(http::field::server, "rooms");
        if (req.method() == http::verb::head) {
            res.prepare_payload();
            res.body().clear();
        } else {
            res.prepare_payload();
        }
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        // The target's query is left out on purpose: access_token travels there.
        const std::string_view target = req.target();
        spdlog::info("http {} \"{} {}\" {} {:.1f}ms", client_ip, std::string_view(req.method_string()),
                     target.substr(0, target.find('?')), res.result_int(), ms);
        auto [wec, wn] = co_await http::async_write(conn->stream, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !res.keep_alive()) break;
    }
    beast::error_code ignored;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

bool OriginAllowed(const Request& req, const std::vector<std::string>& allowed) {
    const std::string_view origin = req[http::field::origin];
    if (origin.empty()) return true;
    const auto iequal = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
               });
    };
    const auto scheme_end = origin.find("://");
    const std::string_view host =
        scheme_end == std::string_view::npos ? std::string_view{} : origin.substr(scheme_end + 3);
    if (allowed.empty()) return !host.empty() && iequal(host, req[http::field::host]);
    return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
        return a == "*" || iequal(a, origin) || (!host.empty() && iequal(a, host));
    });
}

asio::awaitable<Response> HttpServer::Handle(Request& req, const std::string& client_ip, HttpConnection& conn) {
    auto parsed = urls::parse_origin_form(req.target());
    if (!parsed) co_return ErrorResponse(http::status::bad_request, "malformed request target");
    const std::string path = parsed->path();
    std::map<std::string, std::string> query;
    for (auto p : parsed->params()) query[std::string(p.key)] = std::string(p.value);

    auto match = router_.Find(req.method(), path);
    if (!match.route) {
        if (match.path_known) {
            Response res = ErrorResponse(http::status::method_not_allowed, "method not allowed");
            res.set(http::field::allow, match.allow);
            co_return res;
        }
        if (!router_.IsApiPath(path) && (req.method() == http::verb::get || req.method() == http::verb::head))
            co_return ServeStatic(req, path);
        co_return ErrorResponse(http::status::not_found, "not found");
    }
    const Route& route = *match.route;
    const bool is_probe =
        route.segments.size() == 1 && (route.segments[0] == "healthz" || route.segments[0] == "readyz");
    if (!is_probe) {
        auto decision = limiter_.Take(client_ip);
        if (!decision.allowed) {
            Response res = ErrorResponse(http::status::too_many_requests, "too many requests");
            res.set(http::field::retry_after, std::to_string(decision.retry_after_s));
            co_return res;
        }
    }
    RequestContext ctx{req, std::move(match.params), std::move(query), client_ip, std::nullopt};
    if (route.requires_auth) {
        const std::string_view token = BearerToken(req, ctx.query);
        if (token.empty()) co_return ErrorResponse(http::status::unauthorized, "missing access token");
        if (!auth_) co_return ErrorResponse(http::status::internal_server_error, "internal error");
        auto who = auth_->Authenticate(token);
        if (!who) co_return ErrorResponse(who.error());
        ctx.principal = std::move(*who);
    }

    if (route.websocket && websocket::is_upgrade(req) && ws_deps_ && rooms_) {
        if (!OriginAllowed(req, options_.allowed_origins))
            co_return ErrorResponse(http::status::forbidden, "origin not allowed");
        const auto room_id = ParseId(ctx.params[0]);
        if (!room_id) co_return ErrorResponse(http::status::not_found, "room not found");
        auto room = co_await RunBlocking(ws_deps_->store_pool, [&] { return rooms_->Find(*room_id); });
        if (!room) co_return ErrorResponse(room.error());
        if (stopping_) co_return ErrorResponse(http::status::service_unavailable, "server is shutting down");
        spdlog::info("http {} \"GET {}\" 101", client_ip, path);
        conn.upgraded = true;
        const ConnectionId conn_id = std::to_string(options_.node_id) + ":" + std::to_string(++next_connection_);
        auto session = std::make_shared<WebSocketSession>(std::move(conn.stream), *ws_deps_, *ctx.principal, *room_id,
                                                          conn_id, client_ip);
        co_await session->Run(std::move(req));
        co_return Response{};
    }

    try {
        co_return co_await route.handler(ctx);
    } catch (const std::exception& e) {
        spdlog::error("http {} {}: {}", client_ip, path, e.what());
        co_return ErrorResponse(http::status::internal_server_error, "internal error");
    }
}

Response HttpServer::ServeStatic(const Request& req, std::string_view path) {
    namespace fs = std::filesystem;
    if (options_.static_dir.empty()) return ErrorResponse(http::status::not_found, "not found");
    std::string rel = urls::pct_string_view(path).decode();
    if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos)
        return ErrorResponse(http::status::not_found, "not found");
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    fs::path file = options_.static_dir / rel;
    std::error_code ec;
    if (rel.empty() || fs::is_directory(file, ec)) file /= "index.html";
    if (!fs::is_regular_file(file, ec)) {
        // A browser navigating to a client-side route (no file extension) gets the app's entry page; any
        // other client gets the 404 the API contract promises for unknown paths.
        const auto accept = req[http::field::accept];
        if (fs::path(rel).has_extension() || accept.find("text/html") == std::string_view::npos)
            return ErrorResponse(http::status::not_found, "not found");
        file = options_.static_dir / "index.html";
        if (!fs::is_regular_file(file, ec)) return ErrorResponse(http::status::not_found, "not found");
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, MimeType(file));
    res.set(http::field::cache_control, file.filename() == "index.html" ? "no-cache" : "public, max-age=3600");
    res.body() = body.str();
    return res;
}

}  // namespace rooms
