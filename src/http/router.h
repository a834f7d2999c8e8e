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

/// What a handler gets besides the request.
struct RequestContext {
    const Request& request;
    std::vector<std::string> params;           // the {placeholders} of the route, in order
    std::map<std::string, std::string> query;  // decoded query parameters
    std::string client_ip;
    std::optional<Principal> principal;  // set for routes that require authentication
};

using Handler = std::function<asio::awaitable<Response>(RequestContext&)>;

struct Route {
    http::verb method;
    std::vector<std::string> segments;  // "{x}" matches any one segment
    bool requires_auth = false;
    bool websocket = false;  // the room WebSocket; upgraded by the server, not a handler
    Handler handler;
};

/// Maps method + path to a route. Every path is also answered under /api.
class Router {
  public:
    void Add(http::verb method, std::string_view pattern, bool requires_auth, Handler handler, bool websocket = false);

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

  private:
    std::vector<Route> routes_;
};

}  // namespace rooms
