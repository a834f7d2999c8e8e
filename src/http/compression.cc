#include "http/compression.h"

#include <zlib.h>

#include <cctype>
#include <cstdlib>

namespace rooms {

namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

/// The q-value of one `coding;q=x` element (1 when absent; 0 for anything unreadable, which refuses it).
double QValue(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        std::string_view p = Trim(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            const std::string v(Trim(p.substr(2)));
            char* end = nullptr;
            const double q = std::strtod(v.c_str(), &end);
            return end == v.c_str() + v.size() ? q : 0.0;
        }
    }
    return 1.0;
}

constexpr int kGzipWindowBits = 15 + 16;  // 15: the largest window; +16: a gzip header and trailer, not zlib's
constexpr int kMemLevel = 8;

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
    std::optional<double> gzip, star;
    while (!accept_encoding.empty()) {
        const auto comma = accept_encoding.find(',');
        const std::string_view element = accept_encoding.substr(0, comma);
        accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
        const auto semi = element.find(';');
        const std::string_view coding = Trim(element.substr(0, semi));
        const double q = semi == std::string_view::npos ? 1.0 : QValue(element.substr(semi + 1));
        if (EqualsIgnoringCase(coding, "gzip") || EqualsIgnoringCase(coding, "x-gzip")) {
            gzip = q;
        } else if (coding == "*") {
            star = q;
        }
    }
    if (gzip) return *gzip > 0;
    return star && *star > 0;
}

std::optional<std::string> Gzip(std::string_view data) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
        return std::nullopt;
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));  // NOLINT: zlib's API is not const
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);  // the bound fits it all: one call
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return std::nullopt;
    return out;
}

void CompressIfAccepted(const Request& req, Response& res, std::size_t min_bytes) {
    if (min_bytes == 0 || res.body().size() < min_bytes) return;
    res.set(http::field::vary, "Accept-Encoding");
    if (!AcceptsGzip(req[http::field::accept_encoding])) return;
    auto compressed = Gzip(res.body());
    if (!compressed) return;  // sent as it is
    res.body() = std::move(*compressed);
    res.set(http::field::content_encoding, "gzip");
}

}  // namespace rooms
