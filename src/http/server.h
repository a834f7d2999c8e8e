#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/rate_limiter.h"
#include "http/router.h"
#include "http/websocket_session.h"
#include "services/auth_service.h"
#include "services/room_service.h"

namespace rooms {

struct ServerOptions {
    std::size_t body_limit_bytes = 64 * 1024;
    std::size_t header_limit_bytes = 16 * 1024;
    std::chrono::seconds request_timeout{30};
    std::size_t max_connections = 10000;
    std::filesystem::path static_dir;  // web UI; empty or missing: no UI
    double rate_limit_rps = 10;
    double rate_limit_burst = 20;
    int node_id = 0;
    std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For / X-Real-IP is believed
    std::vector<std::string> allowed_origins;  // WebSocket Origins let in; empty: the Host's own; "*": any
};

/// Whether a room WebSocket handshake may proceed as far as its Origin goes (cross-site WebSocket hijacking:
/// a page elsewhere opening a socket with the user's token). No Origin header (not a browser): yes. Else
/// with `allowed` empty the Origin's host[:port] must be the request's Host; otherwise it must equal an
/// entry, written as the whole Origin (https://chat.example.com) or its host[:port]; "*" lets any in.
bool OriginAllowed(const Request& req, const std::vector<std::string>& allowed);

/// The client's address: the peer, or, when the peer is a trusted proxy, the first untrusted hop of
/// X-Forwarded-For read from the right, else X-Real-IP. Untrusted peers cannot spoof their address.
std::string ClientIp(const Request& req, const std::string& peer_ip, const std::vector<std::string>& trusted_proxies);

/// The bearer token of a request: the Authorization header, else the access_token query parameter
/// ("Bearer <jwt>", "Bearer+<jwt>" or the bare jwt). A view into `req` or `query`; empty when there is none.
std::string_view BearerToken(const Request& req, const std::map<std::string, std::string>& query);

/// The HTTP + WebSocket front of the gateway: accepts connections, reads requests within the limits,
/// applies the rate limit and authentication, routes to handlers, upgrades room WebSockets, serves the
/// web UI, and logs one line per request without its query string (tokens may travel there).
class HttpServer {
  public:
    /// `auth` may be null when no route requires authentication; `ws` may be empty when no route is a room
    /// WebSocket (a consumer's probe server).
    HttpServer(asio::io_context& io, ServerOptions options, Router& router, ConnectionRegistry& registry,
               const AuthService* auth, RoomService* rooms, std::optional<WebSocketDeps> ws);

    /// Binds and starts accepting. Throws when the address cannot be bound.
    void Start(const tcp::endpoint& endpoint);
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

    /// Graceful stop: no new connections; WebSockets closed with 1001; `done` runs when every connection
    /// is gone or `grace` has passed.
    void Shutdown(std::chrono::milliseconds grace, std::function<void()> done);

  private:
    class HttpConnection;
    asio::awaitable<void> AcceptLoop();
    asio::awaitable<void> Serve(tcp::socket socket);
    asio::awaitable<Response> Handle(Request& req, const std::string& client_ip, HttpConnection& conn);
    Response ServeStatic(const Request& req, std::string_view path);

    asio::io_context& io_;
    ServerOptions options_;
    Router& router_;
    const AuthService* auth_;
    RoomService* rooms_;
    std::optional<WebSocketDeps> ws_deps_;
    RateLimiter limiter_;
    ConnectionRegistry& registry_;
    tcp::acceptor acceptor_;
    std::atomic<std::size_t> open_connections_{0};
    std::atomic<std::uint64_t> next_connection_{0};
    std::atomic<bool> stopping_{false};
};

}  // namespace rooms
