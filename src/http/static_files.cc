#include "http/static_files.h"

#include <boost/url.hpp>
#include <fstream>
#include <sstream>

#include "http/responses.h"

namespace rooms {

namespace urls = boost::urls;

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

}  // namespace

Response StaticFile(const std::filesystem::path& dir, const Request& req, std::string_view path) {
    namespace fs = std::filesystem;
    if (dir.empty()) return ErrorResponse(http::status::not_found, "not found");
    std::string rel = urls::pct_string_view(path).decode();
    if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos)
        return ErrorResponse(http::status::not_found, "not found");
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    fs::path file = dir / rel;
    std::error_code ec;
    if (rel.empty() || fs::is_directory(file, ec)) file /= "index.html";
    if (!fs::is_regular_file(file, ec)) {
        // A browser navigating to a client-side route (no file extension) gets the app's entry page; any
        // other client gets the 404 the API contract promises for unknown paths.
        const auto accept = req[http::field::accept];
        if (fs::path(rel).has_extension() || accept.find("text/html") == std::string_view::npos)
            return ErrorResponse(http::status::not_found, "not found");
        file = dir / "index.html";
        if (!fs::is_regular_file(file, ec)) return ErrorResponse(http::status::not_found, "not found");
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, MimeType(file));
    res.set(http::field::cache_control, file.filename() == "index.html" ? "no-cache" : "public, max-age=3600");
    res.body() = body.str();
    return res;
}

}  // namespace rooms
