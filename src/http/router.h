#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/types.h"
#include "http/asio.h"

namespace rooms {

/// What a handler gets besides the request. The dispatcher fills `principal` and `room` for routes that ask for
/// them (RouteFlags), before the handler runs.
struct RequestContext {
    const Request& request;
    std::vector<std::string> params;           // the {placeholders} of the route, in order
    std::map<std::string, std::string> query;  // decoded query parameters
    std::string client_ip;
    std::optional<Principal> principal;  // routes with `auth`
    std::optional<Room> room;            // routes with `room`: the room named by the {id} placeholder
};

using Handler = std::function<asio::awaitable<Response>(RequestContext&)>;

/// What the dispatcher does for a route before its handler runs (http/dispatcher.h).
struct RouteFlags {
    bool rate_limited = false;  // takes a token from the client address's bucket (429 when empty)
    bool auth = false;          // needs a valid access token (401), which becomes ctx.principal
    bool room = false;          // the first placeholder names a room that must exist (404), which becomes ctx.room
    bool websocket = false;     // with Upgrade: websocket, the room's WebSocket (after the Origin check, 403)
    bool json_body = false;     // a JSON body: a form's Content-Type (IsFormContentType) is 415
};

struct Route {
    http::verb method;
    std::vector<std::string> segments;  // "{x}" matches any one segment
    RouteFlags flags;
    Handler handler;
};

/// Maps method + path to a route. Every path is also answered under /api.
class Router {
  public:
    void Add(http::verb method, std::string_view pattern, RouteFlags flags, Handler handler);

    struct Match {
        const Route* route = nullptr;
        std::vector<std::string> params;
        bool path_known = false;  // some route has this path (so a miss is 405, not 404)
        std::string allow;        // the methods that path accepts, for the Allow header
    };
    Match Find(http::verb method, std::string_view path) const;

    /// The path without its /api prefix; trailing slashes ignored.
    static std::string_view Normalize(std::string_view path);
    /// True for paths that belong to the API (anything else may be a web UI file).
    bool IsApiPath(std::string_view path) const;

    const std::vector<Route>& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
};

}  // namespace rooms
