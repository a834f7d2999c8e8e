#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tracing/trace_context.h"

namespace rooms {

using UserId = std::int64_t;
using RoomId = std::int64_t;
using MessageId = std::int64_t;
/// Identifies one WebSocket connection within the whole system (instance id + local counter).
using ConnectionId = std::string;

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

struct User {
    UserId id = 0;
    std::string nickname;
    std::string password_hash;
    TimePoint time_created;
};

struct Room {
    RoomId id = 0;
    std::string name;
    TimePoint time_created;
};

enum class MessageType { kMessage, kJoin, kLeave };

struct Message {
    MessageId id = 0;
    RoomId room_id = 0;
    UserId user_id = 0;
    std::string nickname;
    std::string content;
    TimePoint time_created;
    MessageType type = MessageType::kMessage;
    /// Where the message's trace goes on: the span that published it. Not stored; it travels in the Kafka record's
    /// `traceparent` header, so each gateway's fan-out and the consumer's writes are children of that span.
    TraceContext trace = {};
};

/// The identity proven by a valid access token.
struct Principal {
    UserId user_id = 0;
    std::string nickname;
    /// The login session (refresh-token family) the token was issued for; empty for tokens without a `sid`.
    std::string session = {};
    /// When the access token expires (its `exp`); the epoch when unknown.
    TimePoint expires_at = {};
};

inline constexpr std::string_view kJoinedContent = "joined the room";
inline constexpr std::string_view kLeftContent = "left the room";

}  // namespace rooms
