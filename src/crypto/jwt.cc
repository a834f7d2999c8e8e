#include "crypto/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/json.hpp>

#include "common/text.h"

namespace rooms {

namespace json = boost::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Sign(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), mac, &len);
    return std::string(reinterpret_cast<const char*>(mac), len);
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::uint32_t buf = 0;
    int bits = 0;
    for (unsigned char c : data) {
        buf = (buf << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kAlphabet[(buf >> bits) & 0x3F];
        }
    }
    if (bits > 0) out += kAlphabet[(buf << (6 - bits)) & 0x3F];
    return out;
}

bool Base64UrlDecode(std::string_view in, std::string& out) {
    out.clear();
    if (in.size() % 4 == 1) return false;
    std::uint32_t buf = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-')
            v = 62;
        else if (c == '_')
            v = 63;
        else
            return false;
        buf = (buf << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buf >> bits) & 0xFF);
        }
    }
    // Unused trailing bits must be zero (canonical encoding), or a token would have several spellings.
    return (buf & ((1u << bits) - 1)) == 0;
}

JwtCodec::JwtCodec(std::string key) : key_(std::move(key)) {}

std::string JwtCodec::Issue(const Principal& who, TimePoint now, std::chrono::seconds ttl) const {
    static const std::string header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
    const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    json::object claims;
    claims["id"] = std::to_string(who.user_id);
    claims["nickname"] = who.nickname;
    claims["iat"] = iat;
    claims["exp"] = iat + ttl.count();
    if (!who.session.empty()) claims["sid"] = who.session;
    std::string token = header + "." + Base64UrlEncode(json::serialize(claims));
    token += "." + Base64UrlEncode(Sign(key_, token));
    return token;
}

Result<Principal> JwtCodec::Verify(std::string_view token, TimePoint now) const {
    const auto bad = Unauthenticated("invalid token");
    const auto d1 = token.find('.');
    if (d1 == std::string_view::npos) return bad;
    const auto d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return bad;

    std::string header_json, payload_json, signature;
    if (!Base64UrlDecode(token.substr(0, d1), header_json) ||
        !Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1), payload_json) ||
        !Base64UrlDecode(token.substr(d2 + 1), signature))
        return bad;

    boost::system::error_code ec;
    json::value header = json::parse(header_json, ec);
    if (ec || !header.is_object()) return bad;
    const json::value* alg = header.as_object().if_contains("alg");
    if (!alg || !alg->is_string() || alg->as_string() != "HS256")
        return Unauthenticated("invalid token: alg must be HS256");

    const std::string expected = Sign(key_, token.substr(0, d2));
    if (signature.size() != expected.size() || CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0)
        return bad;

    json::value payload = json::parse(payload_json, ec);
    if (ec || !payload.is_object()) return bad;
    const auto& claims = payload.as_object();
    const json::value* id = claims.if_contains("id");
    const json::value* nickname = claims.if_contains("nickname");
    const json::value* exp = claims.if_contains("exp");
    const json::value* iat = claims.if_contains("iat");
    if (!id || !id->is_string() || !nickname || !nickname->is_string() || !exp || !exp->is_int64() || !iat ||
        !iat->is_int64())
        return bad;
    const auto user_id = ParseId(std::string_view(id->as_string()));
    if (!user_id) return bad;
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (exp->as_int64() <= now_s) return Unauthenticated("token expired");
    const json::value* sid = claims.if_contains("sid");
    if (sid && !sid->is_string()) return bad;
    Principal who{*user_id, std::string(nickname->as_string())};
    if (sid) who.session = std::string(sid->as_string());
    constexpr std::int64_t kYear9999 = 253'402'300'799;  // keeps the conversion to microseconds in range
    who.expires_at = TimePoint(std::chrono::seconds(std::min(exp->as_int64(), kYear9999)));
    return who;
}

}  // namespace rooms
