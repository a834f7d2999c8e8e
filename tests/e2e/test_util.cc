#include "test_util.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>

namespace rooms_e2e {

// ---------------------------------------------------------------- small helpers

void RecordSecret(std::string_view secret) {
    static const char* const path = std::getenv("ROOMS_E2E_SECRETS_FILE");
    if (!path || !*path || secret.empty()) return;
    static std::mutex mu;
    std::lock_guard lock(mu);
    std::ofstream(path, std::ios::app) << secret << "\n";
}

std::int64_t ExpectedAccessTokenTtl() {
    const char* ttl = std::getenv("ROOMS_E2E_ACCESS_TOKEN_TTL_S");
    return External() && ttl && *ttl ? std::stoll(ttl) : 900;
}

std::chrono::milliseconds PastTheReuseGrace() { return std::chrono::milliseconds(External() ? 5500 : 1500); }

std::string Unique(const std::string& prefix) {
    static std::atomic<int> counter{0};
    static const std::string run = [] {
        std::random_device rd;
        std::ostringstream os;
        os << std::hex << (rd() & 0xffffu);
        return os.str();
    }();
    return prefix + "_" + std::to_string(++counter) + "x" + run;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

bool IsDecimalId(const json::value& v) {
    if (!v.is_string()) return false;
    const auto& s = v.get_string();
    if (s.empty() || s.size() > 20) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

bool IsRfc3339(const json::value& v) {
    if (!v.is_string()) return false;
    static const std::regex re(R"(^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
    return std::regex_match(std::string(v.get_string()), re);
}

std::string ErrorBodyProblem(const HttpResponse& res) {
    auto v = res.Json();
    if (!v.is_object()) return "the body is not a JSON object: " + res.Describe();
    auto* m = v.as_object().if_contains("message");
    if (!m || !m->is_string()) return "the body has no string \"message\": " + res.Describe();
    if (m->get_string().empty()) return "\"message\" is empty: " + res.Describe();
    return {};
}

std::string Str(const json::value& v, const std::string& key) {
    if (!v.is_object()) return {};
    auto* m = v.as_object().if_contains(key);
    if (!m || !m->is_string()) return {};
    return std::string(m->get_string());
}

std::string Serialize(const json::value& v) { return json::serialize(v); }

std::optional<json::value> ParseJson(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

std::int64_t NowUnix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ---------------------------------------------------------------- JWT forging

namespace {
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         mac, &len);
    return std::string(reinterpret_cast<const char*>(mac), len);
}

bool DecodeBase64Any(std::string_view in, std::string& out) {
    std::string s;
    for (char c : in) {
        if (c == '=' || c == '\n' || c == '\r') continue;
        if (c == '+') c = '-';
        if (c == '/') c = '_';
        s += c;
    }
    return Base64UrlDecode(s, out);
}

bool DecodeHex(std::string_view in, std::string& out) {
    if (in.size() % 2 != 0 || in.empty()) return false;
    out.clear();
    for (std::size_t i = 0; i < in.size(); i += 2) {
        auto nib = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        int hi = nib(in[i]), lo = nib(in[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
    }
    return true;
}
}  // namespace

std::string Base64UrlEncode(std::string_view data) {
    std::string out;
    std::uint32_t buf = 0;
    int bits = 0;
    for (unsigned char c : data) {
        buf = (buf << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kB64Url[(buf >> bits) & 0x3F];
        }
    }
    if (bits > 0) out += kB64Url[(buf << (6 - bits)) & 0x3F];
    return out;
}

bool Base64UrlDecode(std::string_view in, std::string& out) {
    out.clear();
    std::uint32_t buf = 0;
    int bits = 0;
    for (char c : in) {
        const char* p = std::strchr(kB64Url, c);
        if (!p || c == '\0') return false;
        buf = (buf << 6) | static_cast<std::uint32_t>(p - kB64Url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buf >> bits) & 0xFF);
        }
    }
    return true;
}

std::string HmacSha256(std::string_view key, std::string_view data) { return Hmac(EVP_sha256(), key, data); }
std::string HmacSha512(std::string_view key, std::string_view data) { return Hmac(EVP_sha512(), key, data); }

std::string MakeJwt(const json::object& header, const json::object& claims, const std::string& key,
                    const std::string& sign_alg) {
    std::string input = Base64UrlEncode(json::serialize(header)) + "." + Base64UrlEncode(json::serialize(claims));
    if (sign_alg == "none") return input + ".";
    std::string mac = sign_alg == "HS512" ? HmacSha512(key, input) : HmacSha256(key, input);
    return input + "." + Base64UrlEncode(mac);
}

std::optional<std::string> ServerJwtKey(const std::string& data_dir, const std::string& real_token) {
    const std::string raw = ReadFile(data_dir + "/jwt.key");
    if (raw.empty()) return std::nullopt;
    auto last_dot = real_token.rfind('.');
    if (last_dot == std::string::npos) return std::nullopt;
    const std::string input = real_token.substr(0, last_dot), sig = real_token.substr(last_dot + 1);

    std::string trimmed = raw;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.pop_back();
    std::vector<std::string> candidates = {raw, trimmed};
    std::string decoded;
    if (DecodeHex(trimmed, decoded)) candidates.push_back(decoded);
    if (DecodeBase64Any(trimmed, decoded)) candidates.push_back(decoded);
    for (const auto& key : candidates)
        if (Base64UrlEncode(HmacSha256(key, input)) == sig) return key;
    return std::nullopt;
}

// ---------------------------------------------------------------- the API

namespace {
Headers AuthHeader(const std::string& token) {
    RecordSecret(token);
    if (token.empty()) return {};
    return {{"Authorization", "Bearer " + token}};
}
std::string Creds(const std::string& nickname, const std::string& password) {
    RecordSecret(password);
    return json::serialize(json::object{{"nickname", nickname}, {"password", password}});
}
/// The tokens a login or refresh answered with.
HttpResponse RecordTokens(HttpResponse res) {
    if (res.status == 200) {
        const auto v = res.Json();
        RecordSecret(Str(v, "access_token"));
        RecordSecret(Str(v, "refresh_token"));
    }
    return res;
}
}  // namespace

HttpResponse Api::Register(const std::string& nickname, const std::string& password) const {
    return http_.PostJson(prefix_ + "/user/register", Creds(nickname, password));
}
HttpResponse Api::Login(const std::string& nickname, const std::string& password) const {
    return RecordTokens(http_.PostJson(prefix_ + "/user/login", Creds(nickname, password)));
}
HttpResponse Api::Refresh(const std::string& refresh_token) const {
    RecordSecret(refresh_token);
    return RecordTokens(
        http_.PostJson(prefix_ + "/user/refresh", json::serialize(json::object{{"refresh_token", refresh_token}})));
}
HttpResponse Api::Logout(const std::string& refresh_token) const {
    RecordSecret(refresh_token);
    return http_.PostJson(prefix_ + "/user/logout", json::serialize(json::object{{"refresh_token", refresh_token}}));
}
HttpResponse Api::CreateRoom(const std::string& access_token, const std::string& name) const {
    return http_.PostJson(prefix_ + "/chat/rooms", json::serialize(json::object{{"name", name}}),
                          AuthHeader(access_token));
}
HttpResponse Api::ListRooms(const std::string& access_token) const {
    return http_.Get(prefix_ + "/chat/rooms", AuthHeader(access_token));
}
HttpResponse Api::Clients(const std::string& access_token, const std::string& room_id) const {
    return http_.Get(prefix_ + "/chat/rooms/" + room_id + "/clients", AuthHeader(access_token));
}
HttpResponse Api::Messages(const std::string& access_token, const std::string& room_id,
                           const std::string& query) const {
    return http_.Get(prefix_ + "/chat/rooms/" + room_id + "/messages" + (query.empty() ? "" : "?" + query),
                     AuthHeader(access_token));
}
HttpResponse Api::Get(const std::string& path, const std::string& access_token) const {
    return http_.Get(prefix_ + path, AuthHeader(access_token));
}
HttpResponse Api::Post(const std::string& path, const std::string& body, const std::string& access_token) const {
    return http_.PostJson(prefix_ + path, body, AuthHeader(access_token));
}

User Api::NewUser(const std::string& prefix) const {
    User u;
    u.nickname = Unique(prefix);
    u.password = "pw-" + Unique("secret");
    auto reg = Register(u.nickname, u.password);
    if (reg.status != 200) {
        ADD_FAILURE() << "register " << u.nickname << ": " << reg.Describe();
        return u;
    }
    auto login = Login(u.nickname, u.password);
    if (login.status != 200) {
        ADD_FAILURE() << "login " << u.nickname << ": " << login.Describe();
        return u;
    }
    auto v = login.Json();
    u.user_id = Str(v, "user_id");
    u.access_token = Str(v, "access_token");
    u.refresh_token = Str(v, "refresh_token");
    if (u.access_token.empty() || u.refresh_token.empty() || u.user_id.empty())
        ADD_FAILURE() << "login " << u.nickname << " answered without tokens: " << login.Describe();
    return u;
}

std::string Api::NewRoom(const User& owner, const std::string& prefix) const {
    auto res = CreateRoom(owner.access_token, Unique(prefix));
    if (res.status != 200) {
        ADD_FAILURE() << "create room: " << res.Describe();
        return {};
    }
    std::string id = Str(res.Json(), "id");
    if (id.empty()) ADD_FAILURE() << "create room answered without an id: " << res.Describe();
    return id;
}

// ---------------------------------------------------------------- the room WebSocket

std::unique_ptr<WsClient> ConnectRoom(unsigned short port, const std::string& room_id, const std::string& token,
                                      TokenIn how, const std::string& prefix) {
    RecordSecret(token);
    WsClient::Options o;
    o.target = ApiRoot(prefix) + "/chat/rooms/" + room_id;
    switch (how) {
        case TokenIn::kHeader:
            if (!token.empty()) o.authorization = "Bearer " + token;
            break;
        case TokenIn::kQueryBearer:
            o.target += "?access_token=Bearer%20" + token;
            break;
        case TokenIn::kQueryBare:
            o.target += "?access_token=" + token;
            break;
    }
    return std::make_unique<WsClient>(port, o);
}

std::optional<json::value> ReadJson(WsClient& ws, std::chrono::milliseconds timeout) {
    auto f = ws.Read(timeout);
    if (!f.ok) {
        ADD_FAILURE() << "expected a frame: " << f.Describe();
        return std::nullopt;
    }
    auto v = ParseJson(f.text);
    if (!v) ADD_FAILURE() << "frame is not JSON: " << f.Describe();
    return v;
}

std::string MessageShapeProblem(const json::value& m) {
    if (!m.is_object()) return "not an object: " + Serialize(m);
    const auto& o = m.as_object();
    std::string problems;
    for (const char* k : {"id", "room_id", "user_id"})
        if (!o.contains(k) || !IsDecimalId(o.at(k))) problems += std::string(" ") + k + " is not a decimal string;";
    for (const char* k : {"content", "nickname", "type"})
        if (!o.contains(k) || !o.at(k).is_string()) problems += std::string(" ") + k + " is not a string;";
    if (!o.contains("time_created") || !IsRfc3339(o.at("time_created"))) problems += " time_created is not RFC 3339;";
    auto type = Str(m, "type");
    if (type != "message" && type != "join" && type != "leave") problems += " type is '" + type + "';";
    if (!problems.empty()) return problems + " in " + Serialize(m);
    return {};
}

Member Join(unsigned short port, const std::string& room_id, const User& user, TokenIn how, const std::string& prefix) {
    Member m;
    auto ws = ConnectRoom(port, room_id, user.access_token, how, prefix);
    if (!ws->connected()) {
        ADD_FAILURE() << user.nickname << " could not join room " << room_id << ": " << ws->error() << " "
                      << ws->handshake_body();
        return m;
    }
    auto first = ws->Read(5s);
    if (!first.ok) {
        ADD_FAILURE() << user.nickname << ": no history frame: " << first.Describe();
        return m;
    }
    auto v = ParseJson(first.text);
    if (!v || !v->is_array()) {
        ADD_FAILURE() << user.nickname << ": the first frame is not a JSON array: " << first.Describe();
        return m;
    }
    m.history = v->as_array();
    auto join = ReadUntil(
        *ws,
        [&](const json::object& o) {
            return Str(o, "user_id") == user.user_id && Str(o, "content") == "joined the room";
        },
        5s, 10000, &m.before_join);
    if (!join) {
        ADD_FAILURE() << user.nickname << ": no own \"joined the room\" notice";
        return m;
    }
    m.before_join.pop_back();  // the notice itself
    m.join_notice = *join;
    m.ws = std::move(ws);
    return m;
}

std::optional<json::object> SendAndAwaitEcho(WsClient& ws, const User& user, const std::string& content,
                                             std::chrono::milliseconds timeout) {
    if (!ws.Send(content)) {
        ADD_FAILURE() << user.nickname << ": send failed: " << ws.error();
        return std::nullopt;
    }
    auto echo = ReadUntil(
        ws,
        [&](const json::object& o) {
            return Str(o, "user_id") == user.user_id && Str(o, "type") == "message" && Str(o, "content") == content;
        },
        timeout);
    if (!echo) ADD_FAILURE() << user.nickname << ": did not receive its own message back";
    return echo;
}

}  // namespace rooms_e2e
