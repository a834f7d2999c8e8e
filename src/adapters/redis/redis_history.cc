#include "adapters/redis/redis_history.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <unordered_map>
#include <vector>

#include "common/message_codec.h"

namespace rooms {
namespace {

// Chat messages and notices (joins, leaves) are kept in separate lists, each up to the capacity, so that a
// join/leave storm never pushes chat messages out of the join history (as in MemoryHistoryCache).
// KEYS: list, ids, filled, notices, notice ids. Each message is three ARGV: kind ('c' chat, 'n' notice), id, body.

// ARGV: capacity, ttl, unfilled ttl, then the messages oldest first.
// Pushes the messages whose id is not in their list yet, trims the lists, renews the expiry: the long one when
// the room is filled (EXPIRE on the marker tells, and renews it), else the short one.
constexpr std::string_view kAppendScript = R"lua(
local cap = tonumber(ARGV[1])
local pushed = 0
for i = 4, #ARGV, 3 do
    local list, ids = KEYS[1], KEYS[2]
    if ARGV[i] == 'n' then list, ids = KEYS[4], KEYS[5] end
    if not redis.call('LPOS', ids, ARGV[i + 1]) then
        redis.call('LPUSH', list, ARGV[i + 2])
        redis.call('LPUSH', ids, ARGV[i + 1])
        pushed = pushed + 1
    end
end
if pushed == 0 then return 0 end
local ttl = ARGV[3]
if redis.call('EXPIRE', KEYS[3], ARGV[2]) == 1 then ttl = ARGV[2] end
for _, k in ipairs({1, 2, 4, 5}) do
    redis.call('LTRIM', KEYS[k], 0, cap - 1)
    redis.call('EXPIRE', KEYS[k], ttl)
end
return pushed
)lua";

// ARGV: capacity, ttl, then the messages newest first (as read from the store).
// Only when not filled yet: what Append has kept stays on top (it is newer), the store's rows go below it,
// skipping those already there, up to the capacity of each list. Then the marker.
constexpr std::string_view kFillScript = R"lua(
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local cap = tonumber(ARGV[1])
local n = {c = redis.call('LLEN', KEYS[1]), n = redis.call('LLEN', KEYS[4])}
for i = 3, #ARGV, 3 do
    local kind = ARGV[i]
    local list, ids = KEYS[1], KEYS[2]
    if kind == 'n' then list, ids = KEYS[4], KEYS[5] end
    if n[kind] < cap and not redis.call('LPOS', ids, ARGV[i + 1]) then
        redis.call('RPUSH', list, ARGV[i + 2])
        redis.call('RPUSH', ids, ARGV[i + 1])
        n[kind] = n[kind] + 1
    end
end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
if n.c + n.n > 0 then
    for _, k in ipairs({1, 2, 4, 5}) do
        redis.call('LTRIM', KEYS[k], 0, cap - 1)
        redis.call('EXPIRE', KEYS[k], ARGV[2])
    end
end
return 1
)lua";

// KEYS: list, filled, notices. ARGV: limit (>= 1). Nil when not filled (a miss), else the newest `limit` chat
// messages and the newest `limit` notices.
constexpr std::string_view kRecentScript = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local last = tonumber(ARGV[1]) - 1
return {redis.call('LRANGE', KEYS[1], 0, last), redis.call('LRANGE', KEYS[3], 0, last)}
)lua";

bool IsNotice(const Message& m) { return m.type != MessageType::kMessage; }

// The three ARGV of one message.
void PushMessageArgs(std::vector<std::string>& args, const Message& m) {
    args.emplace_back(IsNotice(m) ? "n" : "c");
    args.push_back(std::to_string(m.id));
    args.push_back(EncodeMessage(m));
}

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

    // Group by room, newest first within each room, the rooms in order of first appearance.
    std::vector<RoomId> rooms;
    std::unordered_map<RoomId, std::vector<const Message*>> by_room;
    for (auto m = messages.rbegin(); m != messages.rend(); ++m) {
        auto [it, inserted] = by_room.try_emplace(m->room_id);
        if (inserted) rooms.push_back(m->room_id);
        it->second.push_back(&*m);
    }
    std::reverse(rooms.begin(), rooms.end());

    std::vector<RedisCommand> commands;
    commands.reserve(rooms.size());
    for (const RoomId room : rooms) {
        std::vector<const Message*> kept = NewestOfEachKind(by_room[room]);
        std::vector<std::string> args{std::to_string(options_.capacity), std::to_string(options_.ttl.count()),
                                      std::to_string(options_.unfilled_ttl.count())};
        args.reserve(3 + 3 * kept.size());
        for (auto m = kept.rbegin(); m != kept.rend(); ++m) PushMessageArgs(args, **m);  // oldest first
        commands.push_back(RedisCommand::Eval(append_, Keys(room), std::move(args)));
    }
    // Safe to run twice (Run retries once on a dropped connection): ids already in the window are skipped.
    const auto replies = pool_.Run([&](RedisConnection& c) { return c.Pipeline(commands); });
    for (const auto& reply : replies) CheckReply(reply, "history append", pool_.Address());
}

std::vector<const Message*> RedisHistoryCache::NewestOfEachKind(const std::vector<const Message*>& newest_first) const {
    const auto capacity = static_cast<std::size_t>(options_.capacity);
    std::size_t chats = 0, notices = 0;
    std::vector<const Message*> kept;
    for (const Message* m : newest_first) {
        std::size_t& n = IsNotice(*m) ? notices : chats;
        if (n < capacity) {
            ++n;
            kept.push_back(m);
        }
    }
    return kept;
}

std::vector<std::string> RedisHistoryCache::Keys(RoomId room) const {
    std::string key = ListKey(room);
    return {key, key + ":ids", key + ":filled", key + ":notices", key + ":notices:ids"};
}

std::optional<std::vector<Message>> RedisHistoryCache::Recent(RoomId room, int limit) {
    if (options_.capacity == 0) return std::vector<Message>{};
    std::vector<std::string> keys = Keys(room);
    const RedisCommand command =
        RedisCommand::Eval(recent_, {keys[0], keys[2], keys[3]}, {std::to_string(std::max(limit, 1))});
    const RedisReply reply = RunOne(pool_, command, "history read");
    if (reply.IsNil()) return std::nullopt;
    std::vector<Message> out;
    if (limit <= 0) return out;
    // Two lists, each newest first: chat messages, then notices.
    std::vector<Message> lists[2];
    for (std::size_t i = 0; i < 2 && i < reply.elements.size(); ++i) {
        for (const auto& element : reply.elements[i].elements) {
            if (auto m = DecodeMessage(element.str)) {
                lists[i].push_back(std::move(m.value()));
            } else {
                // Not ours or from an incompatible version: leave it out rather than fail every join of the room.
                spdlog::warn("redis history: skipping an undecodable entry of {}", keys[i == 0 ? 0 : 3]);
            }
        }
    }
    // A full window of chat messages leaves out the notices older than its oldest (MemoryHistoryCache's trim).
    const std::vector<Message>& chats = lists[0];
    const MessageId oldest_chat = chats.size() >= static_cast<std::size_t>(limit) ? chats.back().id : 0;
    out.reserve(chats.size() + lists[1].size());
    std::merge(std::make_move_iterator(lists[0].begin()), std::make_move_iterator(lists[0].end()),
               std::make_move_iterator(lists[1].begin()), std::make_move_iterator(lists[1].end()),
               std::back_inserter(out), [](const Message& a, const Message& b) { return a.id > b.id; });
    // Written before chat and notices had separate lists, a message may be in both once: keep one.
    out.erase(std::unique(out.begin(), out.end(), [](const Message& a, const Message& b) { return a.id == b.id; }),
              out.end());
    std::erase_if(out, [&](const Message& m) { return IsNotice(m) && m.id < oldest_chat; });
    return out;
}

void RedisHistoryCache::Fill(RoomId room, std::vector<Message> newest_first) {
    if (options_.capacity == 0) return;
    std::vector<const Message*> all;
    all.reserve(newest_first.size());
    for (const Message& m : newest_first) all.push_back(&m);
    const std::vector<const Message*> kept = NewestOfEachKind(all);
    std::vector<std::string> args{std::to_string(options_.capacity), std::to_string(options_.ttl.count())};
    args.reserve(2 + 3 * kept.size());
    for (const Message* m : kept) PushMessageArgs(args, *m);
    RunOne(pool_, RedisCommand::Eval(fill_, Keys(room), std::move(args)), "history fill");
}

void RedisHistoryCache::Forget(std::span<const RoomId> rooms) {
    if (rooms.empty()) return;
    RedisCommand del{{"DEL"}};
    for (const RoomId room : rooms) {
        for (std::string& key : Keys(room)) del.args.push_back(std::move(key));
    }
    RunOne(pool_, del, "history forget");
}

}  // namespace rooms
