#include "http/request_policy.h"

#include <algorithm>
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
