#include "adapters/redis/redis_presence.h"

#include <algorithm>
#include <charconv>

namespace rooms {
namespace {

constexpr char kSeparator = '\x1f';

std::string Member(const ConnectionId& connection, UserId user, std::string_view nickname) {
    std::string m;
    m.reserve(connection.size() + nickname.size() + 24);
    m.append(connection).push_back(kSeparator);
    m.append(std::to_string(user)).push_back(kSeparator);
    m.append(nickname);
    return m;
}

struct ParsedMember {
    UserId user = 0;
    std::string_view nickname;
};

std::optional<ParsedMember> ParseMember(std::string_view m) {
    const auto first = m.find(kSeparator);
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = m.find(kSeparator, first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    ParsedMember out;
    const char* begin = m.data() + first + 1;
    const char* end = m.data() + second;
    const auto [ptr, ec] = std::from_chars(begin, end, out.user);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    out.nickname = m.substr(second + 1);
    return out;
}

void ExpectNoErrors(const std::vector<RedisReply>& replies, std::string_view what, const std::string& address) {
    for (const auto& reply : replies) CheckReply(reply, what, address);
}

}  // namespace

RedisPresence::RedisPresence(RedisPool& pool, RedisPresenceOptions options)
    : pool_(pool), options_(std::move(options)) {
    if (options_.ttl.count() < 1) throw std::invalid_argument("redis.presence_ttl_s must be at least 1");
}

std::string RedisPresence::RoomKey(RoomId room) const {
    return options_.key_prefix + "presence:" + std::to_string(room);
}

std::int64_t RedisPresence::NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

void RedisPresence::Add(RoomId room, const ConnectionId& connection, UserId user, std::string_view nickname) {
    std::string member = Member(connection, user, nickname);
    std::string replaced;
    {
        std::lock_guard lock(mu_);
        auto& slot = local_[room][connection];
        if (slot != member) replaced = std::exchange(slot, member);
    }
    const std::string key = RoomKey(room);
    const auto ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl).count();
    std::vector<RedisCommand> commands;
    if (!replaced.empty()) commands.push_back({{"ZREM", key, replaced}});
    commands.push_back({{"ZADD", key, std::to_string(NowMs() + ttl_ms), std::move(member)}});
    // The set itself outlives its newest entry, so a room whose gateways all died does not stay forever.
    commands.push_back({{"PEXPIRE", key, std::to_string(2 * ttl_ms)}});
    ExpectNoErrors(pool_.Run([&](RedisConnection& c) { return c.Pipeline(commands); }), "presence add",
                   pool_.Address());
}

void RedisPresence::Remove(RoomId room, const ConnectionId& connection) {
    std::string member;
    {
        std::lock_guard lock(mu_);
        auto it = local_.find(room);
        if (it == local_.end()) return;
        auto c = it->second.find(connection);
        if (c == it->second.end()) return;
        member = std::move(c->second);
        it->second.erase(c);
        if (it->second.empty()) local_.erase(it);
    }
    const RedisReply reply = pool_.Run([&](RedisConnection& c) { return c.Command({"ZREM", RoomKey(room), member}); });
    CheckReply(reply, "presence remove", pool_.Address());
}

std::vector<std::string> RedisPresence::Online(RoomId room) {
    const std::string key = RoomKey(room);
    const std::string now = std::to_string(NowMs());
    const std::vector<RedisCommand> commands{
        {{"ZREMRANGEBYSCORE", key, "-inf", now}},
        // Strictly after now: an entry expiring between the two commands is not listed either.
        {{"ZRANGEBYSCORE", key, "(" + now, "+inf"}},
    };
    const auto replies = pool_.Run([&](RedisConnection& c) { return c.Pipeline(commands); });
    ExpectNoErrors(replies, "presence read", pool_.Address());

    std::map<UserId, std::string_view> users;
    for (const auto& element : replies[1].elements) {
        if (const auto parsed = ParseMember(element.str)) users.emplace(parsed->user, parsed->nickname);
    }
    std::vector<std::string> out;
    out.reserve(users.size());
    for (const auto& [id, nickname] : users) out.emplace_back(nickname);
    std::sort(out.begin(), out.end());
    return out;
}

void RedisPresence::RefreshAll() {
    std::unordered_map<RoomId, Members> snapshot;
    {
        std::lock_guard lock(mu_);
        snapshot = local_;
    }
    if (snapshot.empty()) return;
    const auto ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl).count();
    const std::string expiry = std::to_string(NowMs() + ttl_ms);
    const std::string set_ttl = std::to_string(2 * ttl_ms);
    std::vector<RedisCommand> commands;
    commands.reserve(2 * snapshot.size());
    for (const auto& [room, members] : snapshot) {
        RedisCommand zadd{{"ZADD", RoomKey(room)}};
        zadd.args.reserve(2 + 2 * members.size());
        for (const auto& [connection, member] : members) {
            zadd.args.push_back(expiry);
            zadd.args.push_back(member);
        }
        commands.push_back(std::move(zadd));
        commands.push_back({{"PEXPIRE", RoomKey(room), set_ttl}});
    }
    ExpectNoErrors(pool_.Run([&](RedisConnection& c) { return c.Pipeline(commands); }), "presence refresh",
                   pool_.Address());

    // A Remove that ran while the refresh was on its way may have had its ZREM overtaken by our ZADD: remove
    // again whatever is gone locally by now. (A Remove that erases later also sends its ZREM later.)
    std::vector<RedisCommand> removals;
    {
        std::lock_guard lock(mu_);
        for (const auto& [room, members] : snapshot) {
            const auto now_local = local_.find(room);
            for (const auto& [connection, member] : members) {
                bool still_here = false;
                if (now_local != local_.end()) {
                    const auto c = now_local->second.find(connection);
                    still_here = c != now_local->second.end() && c->second == member;
                }
                if (!still_here) removals.push_back({{"ZREM", RoomKey(room), member}});
            }
        }
    }
    if (removals.empty()) return;
    ExpectNoErrors(pool_.Run([&](RedisConnection& c) { return c.Pipeline(removals); }), "presence refresh",
                   pool_.Address());
}

std::size_t RedisPresence::LocalConnections() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& [room, members] : local_) n += members.size();
    return n;
}

}  // namespace rooms
