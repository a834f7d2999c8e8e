#include "http/router.h"

namespace rooms {

namespace {

std::vector<std::string_view> Split(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

}  // namespace

void Router::Add(http::verb method, std::string_view pattern, RouteFlags flags, Handler handler) {
    Route r{method, {}, flags, std::move(handler)};
    for (auto s : Split(pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

std::string_view Router::Normalize(std::string_view path) {
    if (path == "/api") return "/";
    if (path.starts_with("/api/")) path.remove_prefix(4);
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    return path;
}

bool Router::IsApiPath(std::string_view path) const {
    if (path == "/api" || path.starts_with("/api/")) return true;
    const auto segs = Split(path);
    if (segs.empty()) return false;
    for (const auto& r : routes_)
        if (!r.segments.empty() && r.segments[0] == segs[0]) return true;
    return false;
}

Router::Match Router::Find(http::verb method, std::string_view raw_path) const {
    Match m;
    const auto segs = Split(Normalize(raw_path));
    for (const auto& r : routes_) {
        if (r.segments.size() != segs.size()) continue;
        std::vector<std::string> params;
        bool ok = true;
        for (std::size_t i = 0; i < segs.size() && ok; ++i) {
            const auto& want = r.segments[i];
            if (want.size() > 1 && want.front() == '{' && want.back() == '}') {
                params.emplace_back(segs[i]);
            } else {
                ok = want == segs[i];
            }
        }
        if (!ok) continue;
        m.path_known = true;
        if (!m.allow.empty()) m.allow += ", ";
        m.allow += std::string(http::to_string(r.method));
        if (r.method == method || (method == http::verb::head && r.method == http::verb::get)) {
            if (!m.route) {
                m.route = &r;
                m.params = std::move(params);
            }
        }
    }
    return m;
}

}  // namespace rooms
