#include "client/server_url.h"

#include <boost/url/parse.hpp>

namespace rooms::client {

std::string ServerUrl::Canonical() const {
    const bool v6 = host.find(':') != std::string::npos;
    return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port + path_prefix;
}

std::string ServerUrl::HostHeader() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string h = v6 ? "[" + host + "]" : host;
    if (port != (tls ? "443" : "80")) h += ":" + port;
    return h;
}

std::optional<ServerUrl> ParseServerUrl(std::string_view text, std::string& error) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) {
        error = "not a URL: " + std::string(text);
        return std::nullopt;
    }
    const auto& u = *parsed;
    ServerUrl url;
    if (u.scheme() == "https") {
        url.tls = true;
    } else if (u.scheme() != "http") {
        error = "the URL must start with http:// or https://";
        return std::nullopt;
    }
    if (u.has_userinfo() || u.has_query() || u.has_fragment()) {
        error = "the URL must be scheme://host[:port][/prefix], without user, query or fragment";
        return std::nullopt;
    }
    url.host =
        u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address()) : std::string(u.host());
    if (url.host.empty()) {
        error = "the URL has no host";
        return std::nullopt;
    }
    url.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (url.tls ? "443" : "80");
    url.path_prefix = std::string(u.path());
    while (!url.path_prefix.empty() && url.path_prefix.back() == '/') url.path_prefix.pop_back();
    return url;
}

}  // namespace rooms::client
