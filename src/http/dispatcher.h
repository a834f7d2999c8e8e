#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/rate_limiter.h"
#include "domain/error.h"
#include "domain/types.h"
#include "http/asio.h"
#include "http/http_session.h"
#include "http/router.h"
#include "http/static_files.h"

namespace rooms {

/// Verifies access tokens (services/auth_service). Cheap; safe on an I/O thread.
using Authenticator = std::function<Result<Principal>(std::string_view access_token)>;
/// Finds a room by id (blocks: the store).
using RoomLookup = std::function<Result<Room>(RoomId)>;
/// Takes a room WebSocket over from its upgrade request (http/websocket_session.h's RoomSockets) and starts it on its
/// own: the socket outlives the request's handling (whose coroutine frames and request it holds no longer). `ctx`
/// holds the principal and the room.
using WebSocketUpgrade = std::function<void(Transport stream, Request request, RequestContext& ctx)>;

/// The parts of request policy a dispatcher applies to the routes that ask for them (RouteFlags). A route whose
/// flag needs a part that is missing fails at start (Dispatcher's constructor throws).
struct DispatcherParts {
    RateLimiter* rate_limiter = nullptr;         // `rate_limited`: per client address (rate_limit.*)
    Authenticator authenticate;                  // `auth`
    RoomLookup find_room;                        // `room`
    WebSocketUpgrade upgrade;                    // `websocket`
    std::vector<std::string> allowed_origins;    // `websocket`: http.allowed_origins (empty: the request's Host)
    const StaticFiles* static_files = nullptr;   // GET/HEAD of a path no route knows: the web UI's files (null: 404)
    asio::thread_pool* blocking_pool = nullptr;  // room lookups and disk reads run here, off the I/O threads
};

/// Routes a request by the path of its target (origin-form, or absolute-form whose authority then stands for Host;
/// anything else is 400) and applies what its route's flags ask for, in this order: rate limit (429 with
/// Retry-After), a form's Content-Type on a JSON endpoint (415), access token (401), for a WebSocket upgrade the Origin
/// (403), the room (404), then the upgrade or the handler (an exception there is a 500 with nothing of it shown; a
/// WebSocket while the server shuts down is a 503). Unknown paths: the web UI's files for GET/HEAD, else 404; a known
/// path with another method: 405 with Allow.
class Dispatcher : public RequestHandler {
  public:
    Dispatcher(const Router& router, DispatcherParts parts);

    asio::awaitable<Response> Handle(Request& req, const std::string& client_ip, HttpConnection& conn) override;

  private:
    const Router& router_;
    DispatcherParts parts_;
};

}  // namespace rooms
