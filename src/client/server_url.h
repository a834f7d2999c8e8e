#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rooms::client {

/// Where a Rooms server (or the seed's Go server, or nginx in front of either) answers.
struct ServerUrl {
    bool tls = false;         // https://
    std::string host;         // as written (a name or an address; IPv6 without brackets)
    std::string port;         // decimal; the scheme's default when the URL has none
    std::string path_prefix;  // "" or "/api"-like, never ending in '/': what goes in front of every API path

    /// The URL the user means, normalized: scheme://host:port[/prefix]. Tokens are stored under it.
    std::string Canonical() const;
    /// The Host header value: host[:port], the port left out when it is the scheme's default.
    std::string HostHeader() const;
};

/// Parses http://host[:port][/prefix] or https://...; nullopt (and `error` set) for anything else:
/// another scheme, user info, a query or fragment, no host.
std::optional<ServerUrl> ParseServerUrl(std::string_view text, std::string& error);

}  // namespace rooms::client
