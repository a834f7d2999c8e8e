#include "cluster_util.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

namespace rooms_cluster {

std::string Env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

unsigned short PortOf(const std::string& url) {
    std::string s = url;
    if (s.rfind("http://", 0) == 0) s = s.substr(7);
    while (!s.empty() && s.back() == '/') s.pop_back();
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) return 0;
    const std::string host = s.substr(0, colon);
    if (host != "127.0.0.1" && host != "localhost") return 0;
    try {
        const int p = std::stoi(s.substr(colon + 1));
        return p > 0 && p < 65536 ? static_cast<unsigned short>(p) : 0;
    } catch (...) {
        return 0;
    }
}

std::string LoadConfig(Config& c, Needs needs) {
    std::string problems;
    const std::string url = Env("ROOMS_CLUSTER_URL");
    c.nginx = PortOf(url);
    if (url.empty())
        problems += "ROOMS_CLUSTER_URL is not set (nginx front, e.g. http://127.0.0.1:8080)\n";
    else if (c.nginx == 0)
        problems += "ROOMS_CLUSTER_URL='" + url + "' is not http://127.0.0.1:PORT\n";
    const std::string gws = Env("ROOMS_CLUSTER_GATEWAYS");
    if (gws.empty()) {
        problems += "ROOMS_CLUSTER_GATEWAYS is not set (e.g. http://127.0.0.1:18081,http://127.0.0.1:18082)\n";
    } else {
        std::stringstream ss(gws);
        std::string one;
        while (std::getline(ss, one, ',')) {
            const auto p = PortOf(one);
            if (p == 0) problems += "ROOMS_CLUSTER_GATEWAYS: '" + one + "' is not http://127.0.0.1:PORT\n";
            c.gateways.push_back(p);
        }
        if (c.gateways.size() < 2) problems += "ROOMS_CLUSTER_GATEWAYS must name 2 gateways, got '" + gws + "'\n";
    }
    if (needs.pg) {
        c.dsn = Env("ROOMS_CLUSTER_POSTGRES_DSN");
        if (c.dsn.empty())
            problems += "ROOMS_CLUSTER_POSTGRES_DSN is not set (libpq DSN of the cluster's PostgreSQL)\n";
    }
    if (needs.redis) {
        c.redis = Env("ROOMS_CLUSTER_REDIS_ADDRESS");
        if (c.redis.find(':') == std::string::npos)
            problems += "ROOMS_CLUSTER_REDIS_ADDRESS is not HOST:PORT of the cluster's Redis\n";
    }
    if (needs.script) {
        c.script = Env("ROOMS_CLUSTER_SCRIPT");
        if (c.script.empty()) problems += "ROOMS_CLUSTER_SCRIPT is not set (path of scripts/cluster.sh)\n";
    }
    if (needs.jaeger) {
        c.jaeger = PortOf(Env("ROOMS_CLUSTER_JAEGER_URL"));
        if (c.jaeger == 0)
            problems += "ROOMS_CLUSTER_JAEGER_URL is not http://127.0.0.1:PORT (Jaeger's query API, e.g. :16686)\n";
    }
    return problems;
}

int RunScript(const std::string& script, const std::string& verb, const std::string& name) {
    const std::string cmd = "'" + script + "' " + verb + " " + name + " >&2";
    const int rc = std::system(cmd.c_str());
    std::cerr << "cluster: `" << cmd << "` exited with " << rc << "\n";
    return rc;
}

int RestoreGuard::Restore() {
    std::lock_guard lock(mu_);
    if (!armed_) return 0;
    armed_ = false;
    return RunScript(script_, "start", name_);
}

std::string RunTag() {
    static const std::string tag = [] {
        std::random_device rd;
        std::ostringstream os;
        os << "cl" << std::hex << std::setw(8) << std::setfill('0') << rd();
        return os.str();
    }();
    return tag;
}

bool IsMessageFrom(const json::object& o, const std::string& user_id) {
    return Str(o, "type") == "message" && Str(o, "user_id") == user_id;
}

std::optional<std::set<std::string>> ClientNicknames(const Api& api, const User& asker, const std::string& room,
                                                     std::string* why) {
    auto res = api.Clients(asker.access_token, room);
    if (res.status != 200) {
        if (why) *why = res.Describe();
        return std::nullopt;
    }
    auto v = ParseJson(res.body);
    if (!v || !v->is_array()) {
        if (why) *why = "not an array: " + res.Describe();
        return std::nullopt;
    }
    std::set<std::string> out;
    for (const auto& e : v->as_array()) out.insert(Str(e, "nickname"));
    return out;
}

double Percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto idx = static_cast<std::size_t>(std::min<double>(v.size() - 1, p / 100.0 * (v.size() - 1) + 0.5));
    return v[idx];
}

Pg::Pg(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {}
Pg::~Pg() { PQfinish(conn_); }
bool Pg::ok() const { return PQstatus(conn_) == CONNECTION_OK; }
std::string Pg::error() const { return PQerrorMessage(conn_); }

bool Pg::Tagged(const std::vector<std::string>& rooms, const std::string& prefix,
                std::vector<std::array<std::string, 3>>& out, std::string& err) {
    std::string arr = "{";
    for (std::size_t i = 0; i < rooms.size(); ++i) arr += (i ? "," : "") + rooms[i];
    arr += "}";
    const std::string like = prefix + "%";
    const char* params[2] = {arr.c_str(), like.c_str()};
    out.clear();
    return Rows(
        "SELECT room_id::text, id::text, content FROM messages "
        "WHERE room_id = ANY($1::bigint[]) AND content LIKE $2 ORDER BY room_id, seq",
        params, err, [&](PGresult* r, int i) {
            out.push_back({PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)});
        });
}

bool Pg::NewestChatIds(const std::string& room, int limit, std::vector<std::string>& out, std::string& err) {
    const std::string n = std::to_string(limit);
    const char* params[2] = {room.c_str(), n.c_str()};
    out.clear();
    // type 0: MessageType::kMessage
    return Rows("SELECT id::text FROM messages WHERE room_id = $1::bigint AND type = 0 ORDER BY seq DESC LIMIT $2::int",
                params, err, [&](PGresult* r, int i) { out.emplace_back(PQgetvalue(r, i, 0)); });
}

bool Pg::Rows(const char* sql, const char* const (&params)[2], std::string& err,
              const std::function<void(PGresult*, int)>& row) {
    // Reconnects once when the connection broke (the fault tests restart PostgreSQL).
    PGresult* r = PQexecParams(conn_, sql, 2, nullptr, params, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQstatus(conn_) != CONNECTION_OK) {
        PQclear(r);
        PQreset(conn_);
        r = PQexecParams(conn_, sql, 2, nullptr, params, nullptr, nullptr, 0);
    }
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) err = PQresultErrorMessage(r);
    for (int i = 0; ok && i < PQntuples(r); ++i) row(r, i);
    PQclear(r);
    return ok;
}

std::optional<std::vector<std::string>> RedisHistoryIds(const std::string& address, const std::string& room,
                                                        std::string& err) {
    const auto colon = address.rfind(':');
    const std::string host = address.substr(0, colon);
    const int port = std::atoi(address.c_str() + colon + 1);
    const timeval timeout{2, 0};
    std::unique_ptr<redisContext, decltype(&redisFree)> c(redisConnectWithTimeout(host.c_str(), port, timeout),
                                                          &redisFree);
    if (!c || c->err) {
        err = c ? c->errstr : "cannot allocate a redis context";
        return std::nullopt;
    }
    // The consumer's key: redis.key_prefix ("rooms:") + "history:" + room; each element a message as JSON.
    const std::string key = "rooms:history:" + room;
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
        static_cast<redisReply*>(redisCommand(c.get(), "LRANGE %b 0 -1", key.data(), key.size())), &freeReplyObject);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        err = reply && reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : "no array reply";
        return std::nullopt;
    }
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < reply->elements; ++i) {
        const redisReply* e = reply->element[i];
        auto v = ParseJson(std::string(e->str, e->len));
        const json::value* id = v && v->is_object() ? v->as_object().if_contains("id") : nullptr;
        ids.push_back(id && id->is_int64() ? std::to_string(id->as_int64())
                                           : "<no id: " + std::string(e->str, e->len) + ">");
    }
    return ids;
}

}  // namespace rooms_cluster
