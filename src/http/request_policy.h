#pragma once

// What the gateway believes about a request before any handler runs: who sent it (the client address behind
// trusted proxies), with which token, and from which site (Origin).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/asio.h"

namespace rooms {

/// Whether a room WebSocket handshake may proceed as far as its Origin goes (cross-site WebSocket hijacking: a page
/// elsewhere opening a socket with the user's token). No Origin header (not a browser): yes. Else with `allowed`
/// empty the Origin's host[:port] must be the request's Host; otherwise it must equal an entry, written as the
/// whole Origin (https://chat.example.com) or its host[:port]; "*" lets any in.
bool OriginAllowed(const Request& req, const std::vector<std::string>& allowed);

/// The client's address: the peer, or, when the peer is a trusted proxy, the first untrusted hop of
/// X-Forwarded-For read from the right, else X-Real-IP. Untrusted peers cannot spoof their address.
std::string ClientIp(const Request& req, const std::string& peer_ip, const std::vector<std::string>& trusted_proxies);

/// The bearer token of a request: the Authorization header, else the access_token query parameter
/// ("Bearer <jwt>", "Bearer+<jwt>" or the bare jwt). A view into `req` or `query`; empty when there is none.
std::string_view BearerToken(const Request& req, const std::map<std::string, std::string>& query);

/// "a, b,c" -> {"a","b","c"} (the list settings: http.trusted_proxies, http.allowed_origins).
std::vector<std::string> SplitList(const std::string& text);

}  // namespace rooms
