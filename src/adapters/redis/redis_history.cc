#include "adapters/redis/redis_history.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "common/message_codec.h"

namespace rooms {
namespace {

// KEYS: list, ids, filled. ARGV: capacity, ttl, unfilled ttl, then id, message pairs oldest first.
// Pushes the messages whose id is not in the window yet, trims both lists, renews the expiry: the long one when
// the room is filled (EXPIRE on the marker tells, and renews it), else the short one.
constexpr std::string_view kAppendScript = R"lua(
local cap = tonumber(ARGV[1])
local pushed = 0
for i = 4, #ARGV, 2 do
    if not redis.call('LPOS', KEYS[2], ARGV[i]) then
        redis.call('LPUSH', KEYS[1], ARGV[i + 1])
        redis.call('LPUSH', KEYS[2], ARGV[i])
        pushed = pushed + 1
    end
end
if pushed == 0 then return 0 end
redis.call('LTRIM', KEYS[1], 0, cap - 1)
redis.call('LTRIM', KEYS[2], 0, cap - 1)
local ttl = ARGV[3]
if redis.call('EXPIRE', KEYS[3], ARGV[2]) == 1 then ttl = ARGV[2] end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return pushed
)lua";

// KEYS: list, ids, filled. ARGV: capacity, ttl, then id, message pairs newest first (as read from the store).
// Only when not filled yet: what Append has kept stays on top (it is newer), the store's rows go below it,
// skipping those already there, up to the capacity. Then the marker.
constexpr std::string_view kFillScript = R"lua(
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local cap = tonumber(ARGV[1])
local n = redis.call('LLEN', KEYS[1])
for i = 3, #ARGV, 2 do
    if n >= cap then break end
    if not redis.call('LPOS', KEYS[2], ARGV[i]) then
        redis.call('RPUSH', KEYS[1], ARGV[i + 1])
        redis.call('RPUSH', KEYS[2], ARGV[i])
        n = n + 1
    end
end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
if n > 0 then
    redis.call('LTRIM', KEYS[1], 0, cap - 1)
    redis.call('LTRIM', KEYS[2], 0, cap - 1)
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return 1
)lua";

// KEYS: list, filled. ARGV: limit (>= 1). Nil when not filled (a miss), else the newest `limit` messages.
constexpr std::string_view kRecentScript = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
return redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
)lua";

// One script call, retried once on a dropped connection by the pool (every script here is idempotent).
RedisReply RunOne(RedisPool& pool, const RedisCommand& command, std::string_view what) {
    RedisReply reply = pool.Run([&](RedisConnection& c) { return std::move(c.Pipeline({&command, 1}).front()); });
    CheckReply(reply, what, pool.Address());
    return reply;
}

}  // namespace

RedisHistoryCache::RedisHistoryCache(RedisPool& pool, RedisHistoryOptions options)
    : pool_(pool),
      options_(std::move(options)),
      append_(std::string(kAppendScript)),
      fill_(std::string(kFillScript)),
      recent_(std::string(kRecentScript)) {
    if (options_.capacity < 0) throw std::invalid_argument("history capacity must not be negative");
}

std::string RedisHistoryCache::ListKey(RoomId room) const { return Prefix() + "history:" + std::to_string(room); }

void RedisHistoryCache::Append(const Message& message) { AppendBatch(std::span<const Message>(&message, 1)); }

void RedisHistoryCache::AppendBatch(std::span<const Message> messages) {
    if (options_.capacity == 0 || messages.empty()) return;
    const auto capacity = static_cast<std::size_t>(options_.capacity);

    // Group by room, keeping the batch order within each room and the rooms in order of first appearance.
    std::vector<RoomId> rooms;
    std::unordered_map<RoomId, std::vector<const Message*>> by_room;
    for (const auto& m : messages) {
        auto [it, inserted] = by_room.try_emplace(m.room_id);
        if (inserted) rooms.push_back(m.room_id);
        it->second.push_back(&m);
    }

    std::vector<RedisCommand> commands;
    commands.reserve(rooms.size());
    for (const RoomId room : rooms) {
        const auto& list = by_room[room];
        const std::size_t skip = list.size() > capacity ? list.size() - capacity : 0;
        std::vector<std::string> args{std::to_string(options_.capacity), std::to_string(options_.ttl.count()),
                                      std::to_string(options_.unfilled_ttl.count())};
        args.reserve(3 + 2 * (list.size() - skip));
        for (std::size_t i = skip; i < list.size(); ++i) {
            args.push_back(std::to_string(list[i]->id));
            args.push_back(EncodeMessage(*list[i]));
        }
        std::string key = ListKey(room);
        std::vector<std::string> keys{key, key + ":ids", key + ":filled"};
        commands.push_back(RedisCommand::Eval(append_, std::move(keys), std::move(args)));
    }
    // Safe to run twice (Run retries once on a dropped connection): ids already in the window are skipped.
    const auto replies = pool_.Run([&](RedisConnection& c) { return c.Pipeline(commands); });
    for (const auto& reply : replies) CheckReply(reply, "history append", pool_.Address());
}

std::optional<std::vector<Message>> RedisHistoryCache::Recent(RoomId room, int limit) {
    if (options_.capacity == 0) return std::vector<Message>{};
    const std::string key = ListKey(room);
    const RedisCommand command =
        RedisCommand::Eval(recent_, {key, key + ":filled"}, {std::to_string(std::max(limit, 1))});
    const RedisReply reply = RunOne(pool_, command, "history read");
    if (reply.IsNil()) return std::nullopt;
    std::vector<Message> out;
    if (limit <= 0) return out;
    out.reserve(reply.elements.size());
    for (const auto& element : reply.elements) {
        if (auto m = DecodeMessage(element.str)) {
            out.push_back(std::move(m.value()));
        } else {
            // Not ours or from an incompatible version: leave it out rather than fail every join of the room.
            spdlog::warn("redis history: skipping an undecodable entry of {}", key);
        }
    }
    return out;
}

void RedisHistoryCache::Fill(RoomId room, std::vector<Message> newest_first) {
    if (options_.capacity == 0) return;
    const std::size_t n = std::min(newest_first.size(), static_cast<std::size_t>(options_.capacity));
    std::vector<std::string> args{std::to_string(options_.capacity), std::to_string(options_.ttl.count())};
    args.reserve(2 + 2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        args.push_back(std::to_string(newest_first[i].id));
        args.push_back(EncodeMessage(newest_first[i]));
    }
    const std::string key = ListKey(room);
    const RedisCommand command = RedisCommand::Eval(fill_, {key, key + ":ids", key + ":filled"}, std::move(args));
    RunOne(pool_, command, "history fill");
}

void RedisHistoryCache::Forget(std::span<const RoomId> rooms) {
    if (rooms.empty()) return;
    RedisCommand del{{"DEL"}};
    for (const RoomId room : rooms) {
        const std::string key = ListKey(room);
        del.args.push_back(key + ":ids");
        del.args.push_back(key + ":filled");
        del.args.push_back(key);
    }
    RunOne(pool_, del, "history forget");
}

}  // namespace rooms
