#include "client/jwt_expiry.h"

#include <boost/json.hpp>
#include <string>

#include "crypto/jwt.h"

namespace rooms::client {

namespace json = boost::json;

namespace {

std::optional<std::int64_t> NumberClaim(const json::object& claims, std::string_view name) {
    const json::value* v = claims.if_contains(name);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return std::nullopt;
}

}  // namespace

std::optional<JwtTimes> ReadJwtTimes(std::string_view token) {
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    std::string payload;
    if (!Base64UrlDecode(token.substr(first + 1, second - first - 1), payload)) return std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(payload, ec);
    if (ec || !v.is_object()) return std::nullopt;
    auto exp = NumberClaim(v.get_object(), "exp");
    if (!exp) return std::nullopt;
    return JwtTimes{NumberClaim(v.get_object(), "iat"), *exp};
}

std::chrono::milliseconds RefreshDelay(const std::optional<JwtTimes>& times, std::int64_t now_epoch_s, double fraction,
                                       std::chrono::milliseconds floor, std::chrono::milliseconds fallback) {
    if (!times) return fallback;
    const std::int64_t start = times->issued_at.value_or(now_epoch_s);
    const std::int64_t lifetime_s = times->expires_at - start;
    const auto delay =
        std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(lifetime_s) * 1000.0 * fraction));
    return std::max(delay, floor);
}

}  // namespace rooms::client
