#include "http/static_files.h"

#include <fstream>
#include <sstream>

#include "http/responses.h"

namespace rooms {

namespace {

std::string_view MimeType(const std::filesystem::path& p) {
    const std::string ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

std::string_view CacheControl(const std::filesystem::path& file) {
    return file.filename() == "index.html" ? "no-cache" : "public, max-age=3600";
}

/// A path that could leave the directory, or that no file name holds.
bool Climbs(std::string_view rel) {
    return rel.find("..") != std::string_view::npos || rel.find('\0') != std::string_view::npos;
}

/// A browser navigating to a client-side route: an HTML request of a path without an extension.
bool AppRoute(const Request& req, std::string_view rel) {
    return !std::filesystem::path(rel).has_extension() &&
           req[http::field::accept].find("text/html") != std::string_view::npos;
}

}  // namespace

Response StaticFile(const std::filesystem::path& dir, const Request& req, std::string_view path) {
    namespace fs = std::filesystem;
    if (dir.empty()) return ErrorResponse(http::status::not_found, "not found");
    // `path` is decoded already; decoding it again turned /%25zz into a malformed escape (an exception, the
    // connection dropped) and /%252e%252e into "..".
    std::string rel(path);
    if (Climbs(rel)) return ErrorResponse(http::status::not_found, "not found");
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    fs::path file = dir / rel;
    std::error_code ec;
    if (rel.empty() || fs::is_directory(file, ec)) file /= "index.html";
    if (!fs::is_regular_file(file, ec)) {
        // A browser navigating to a client-side route (no file extension) gets the app's entry page; any
        // other client gets the 404 the API contract promises for unknown paths.
        if (!AppRoute(req, rel)) return ErrorResponse(http::status::not_found, "not found");
        file = dir / "index.html";
        if (!fs::is_regular_file(file, ec)) return ErrorResponse(http::status::not_found, "not found");
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, MimeType(file));
    res.set(http::field::cache_control, CacheControl(file));
    res.body() = body.str();
    return res;
}

StaticFiles::StaticFiles(std::filesystem::path dir, std::size_t budget_bytes) : dir_(std::move(dir)) {
    namespace fs = std::filesystem;
    if (dir_.empty()) return;
    std::error_code ec;
    std::size_t used = 0;
    for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const auto size = static_cast<std::size_t>(it->file_size(ec));
        if (ec || used + size > budget_bytes) {
            complete_ = false;
            continue;
        }
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream body;
        if (size > 0) body << in.rdbuf();
        if (!in.is_open() || body.str().size() != size) {
            complete_ = false;
            continue;
        }
        used += size;
        const std::string rel = it->path().lexically_relative(dir_).generic_string();
        files_[rel] = File{body.str(), MimeType(it->path()), it->path().filename() == "index.html"};
    }
    if (ec) complete_ = false;
}

std::optional<Response> StaticFiles::Find(const Request& req, std::string_view path) const {
    if (dir_.empty() || Climbs(path)) return ErrorResponse(http::status::not_found, "not found");
    std::string_view rel = path;
    while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
    std::string key(rel);
    while (!key.empty() && key.back() == '/') key.pop_back();
    if (auto it = files_.find(key); it != files_.end() && !key.empty()) return Answer(req, it->second);
    if (auto it = files_.find(key.empty() ? "index.html" : key + "/index.html"); it != files_.end())
        return Answer(req, it->second);
    if (!complete_) return std::nullopt;
    if (AppRoute(req, rel))
        if (auto it = files_.find("index.html"); it != files_.end()) return Answer(req, it->second);
    return ErrorResponse(http::status::not_found, "not found");
}

Response StaticFiles::Answer(const Request& req, const File& file) const {
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, file.content_type);
    res.set(http::field::cache_control, file.index ? "no-cache" : "public, max-age=3600");
    res.body() = file.body;
    return res;
}

}  // namespace rooms
