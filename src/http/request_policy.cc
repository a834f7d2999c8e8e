#include "http/request_policy.h"

#include <algorithm>
#include <boost/url.hpp>
#include <cctype>

namespace rooms {

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

std::string ClientIp(const Request& req, const std::string& peer_ip, const IpNetworks& trusted_proxies) {
    auto trusted = [&](std::string_view ip) { return trusted_proxies.Contains(ip); };
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

namespace {

bool IEqual(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// host[:port] (also [v6][:port]) without its port.
std::string_view HostName(std::string_view host_port) {
    if (host_port.starts_with('[')) {
        const auto close = host_port.find(']');
        return close == std::string_view::npos ? host_port : host_port.substr(0, close + 1);
    }
    return host_port.substr(0, host_port.find(':'));
}

bool HasPort(std::string_view host_port) { return HostName(host_port).size() != host_port.size(); }

}  // namespace

bool OriginAllowed(const Request& req, const std::vector<std::string>& allowed, bool via_trusted_proxy) {
    const std::string_view origin = req[http::field::origin];
    if (origin.empty()) return true;
    const auto scheme_end = origin.find("://");
    const std::string_view host =
        scheme_end == std::string_view::npos ? std::string_view{} : origin.substr(scheme_end + 3);
    if (!allowed.empty()) {
        return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
            return a == "*" || IEqual(a, origin) || (!host.empty() && IEqual(a, host));
        });
    }
    if (host.empty()) return false;
    std::string_view expected = req[http::field::host];
    if (!via_trusted_proxy) return IEqual(host, expected);
    if (auto it = req.find("X-Forwarded-Host"); it != req.end()) {
        // A proxy chain may list one per hop; the first is what the browser asked for.
        const std::string_view list = it->value();
        expected = Trim(list.substr(0, list.find(',')));
    }
    if (expected.empty()) return false;
    if (HasPort(expected)) return IEqual(host, expected);
    return IEqual(HostName(host), expected);
}

std::optional<std::string_view> HeadProblem(const Request& req) {
    if (req.version() >= 11 && req.count(http::field::host) != 1)
        return req.count(http::field::host) == 0 ? "an HTTP/1.1 request needs a Host header"
                                                 : "more than one Host header";
    if (req.count(http::field::transfer_encoding) == 0) return std::nullopt;
    if (req.count(http::field::content_length) != 0) return "Transfer-Encoding together with Content-Length";
    // Every coding of every Transfer-Encoding field, in order: exactly one, `chunked`.
    int codings = 0;
    bool chunked = false;
    for (const auto& field : req) {
        if (field.name() != http::field::transfer_encoding) continue;
        std::string_view list = field.value();
        while (true) {
            const auto comma = list.find(',');
            const std::string_view coding = Trim(list.substr(0, comma));
            if (!coding.empty()) {
                ++codings;
                chunked = IEqual(coding, "chunked");
            }
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    if (codings != 1 || !chunked) return "unsupported Transfer-Encoding (only chunked is accepted)";
    return std::nullopt;
}

bool IsFormContentType(const Request& req) {
    const std::string_view value = req[http::field::content_type];
    const std::string_view media = Trim(value.substr(0, value.find(';')));
    return IEqual(media, "text/plain") || IEqual(media, "application/x-www-form-urlencoded") ||
           IEqual(media, "multipart/form-data");
}

std::optional<RequestTarget> ParseRequestTarget(std::string_view target) {
    namespace urls = boost::urls;
    RequestTarget out;
    urls::url_view url;
    if (target.starts_with('/')) {
        auto parsed = urls::parse_origin_form(target);
        if (!parsed) return std::nullopt;
        url = *parsed;
    } else {
        auto parsed = urls::parse_absolute_uri(target);
        if (!parsed || !parsed->has_authority() || parsed->encoded_host().empty()) return std::nullopt;
        const auto scheme = parsed->scheme_id();
        if (scheme != urls::scheme::http && scheme != urls::scheme::https) return std::nullopt;
        url = *parsed;
        out.authority = std::string(url.encoded_host_and_port());
    }
    out.path = url.path();
    if (out.path.empty()) out.path.assign(1, '/');  // not = "/": GCC 12's -Wrestrict misfires on that
    for (auto p : url.params()) out.query[std::string(p.key)] = std::string(p.value);
    return out;
}

std::vector<std::string> SplitList(const std::string& text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= text.size()) {
        std::size_t j = text.find(',', i);
        if (j == std::string::npos) j = text.size();
        std::string item = text.substr(i, j - i);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) out.push_back(item);
        i = j + 1;
    }
    return out;
}

}  // namespace rooms
