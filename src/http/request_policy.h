#pragma once

// What the gateway believes about a request before any handler runs: who sent it (the client address behind
// trusted proxies), with which token, and from which site (Origin).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_networks.h"
#include "http/asio.h"

namespace rooms {

/// Whether a room WebSocket handshake may proceed as far as its Origin goes (cross-site WebSocket hijacking: a page
/// elsewhere opening a socket with the user's token). No Origin header (not a browser): yes. Else with `allowed`
/// empty the Origin's host[:port] must be the request's Host; otherwise it must equal an entry, written as the
/// whole Origin (https://chat.example.com) or its host[:port]; "*" lets any in.
/// `via_trusted_proxy` (the peer is in http.trusted_proxies): the Host that counts is the one the proxy forwards,
/// X-Forwarded-Host when it sends one, else Host; when that has no port (nginx's `proxy_set_header Host $host`),
/// the Origin's host name must equal it and its port does not count. The host name itself must always match.
bool OriginAllowed(const Request& req, const std::vector<std::string>& allowed, bool via_trusted_proxy = false);

/// The client's address: the peer, or, when the peer is a trusted proxy, the first untrusted hop of
/// X-Forwarded-For read from the right, else X-Real-IP. Untrusted peers cannot spoof their address.
std::string ClientIp(const Request& req, const std::string& peer_ip, const IpNetworks& trusted_proxies);

/// Why a request's head cannot be served (400, and the connection closes: what follows cannot be framed), or
/// nullopt. RFC 9112: an HTTP/1.1 request carries exactly one Host (§3.2); a Transfer-Encoding must be exactly
/// `chunked`, the one coding the server decodes, and never comes with a Content-Length (§6.1, §6.3) -- a proxy
/// that frames such a request otherwise would see its body as a second request (request smuggling).
std::optional<std::string_view> HeadProblem(const Request& req);

/// True for the Content-Types a cross-site HTML form can send without a CORS preflight (text/plain,
/// application/x-www-form-urlencoded, multipart/form-data): a JSON endpoint answers them 415, so that such a form
/// cannot post to it (login CSRF). A request without Content-Type is not one (the seed's clients send none).
bool IsFormContentType(const Request& req);

/// The path and query of a request target: origin-form (/path?query) or absolute-form
/// (http://host/path?query, RFC 9112 §3.2.2, what a client talking to a proxy sends; its path "" is "/").
/// nullopt for anything else (authority-form, asterisk-form, malformed percent-encodings).
struct RequestTarget {
    std::string path;  // decoded
    std::map<std::string, std::string> query;
    std::optional<std::string> authority;  // absolute-form: the host[:port] it names, which replaces Host
};
std::optional<RequestTarget> ParseRequestTarget(std::string_view target);

/// The bearer token of a request: the Authorization header, else the access_token query parameter
/// ("Bearer <jwt>", "Bearer+<jwt>" or the bare jwt). A view into `req` or `query`; empty when there is none.
std::string_view BearerToken(const Request& req, const std::map<std::string, std::string>& query);

/// "a, b,c" -> {"a","b","c"} (the list settings: http.trusted_proxies, http.allowed_origins).
std::vector<std::string> SplitList(const std::string& text);

}  // namespace rooms
