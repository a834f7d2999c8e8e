#pragma once

// Messages and times for tests of every tier (unit, integration): deterministic, no wall clock.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "domain/time_source.h"
#include "domain/types.h"

namespace rooms::test_support {

/// The wall clock, for tests that compare with real time (components take a TimeSource).
inline TimePoint Now() { return RealTimeSource::Instance().Now(); }

/// A fixed instant (2026-11-29T02:31:00.123456Z) so tests do not depend on the wall clock.
inline TimePoint FixedTime() {
    using namespace std::chrono;
    return time_point_cast<microseconds>(sys_days{year{2026} / November / 29}) + hours{2} + minutes{31} +
           microseconds{123456};
}

inline Message MakeMessage(MessageId id, RoomId room, std::string content = "", std::string nickname = "alice",
                           UserId user = 1, MessageType type = MessageType::kMessage) {
    Message m;
    m.id = id;
    m.room_id = room;
    m.user_id = user;
    m.nickname = std::move(nickname);
    m.content = content.empty() ? "message " + std::to_string(id) : std::move(content);
    m.time_created = FixedTime() + std::chrono::microseconds(id);
    m.type = type;
    return m;
}

/// Every field of `out` equals that of `in` (a store's round trip), one expectation per field.
inline void ExpectSameMessage(const Message& out, const Message& in) {
    EXPECT_EQ(out.id, in.id);
    EXPECT_EQ(out.room_id, in.room_id);
    EXPECT_EQ(out.user_id, in.user_id);
    EXPECT_EQ(out.nickname, in.nickname);
    EXPECT_EQ(out.content, in.content);
    EXPECT_EQ(out.time_created, in.time_created);  // microseconds preserved
    EXPECT_EQ(out.type, in.type);
}

/// The ids of `messages`, in order.
inline std::vector<MessageId> Ids(const std::vector<Message>& messages) {
    std::vector<MessageId> ids;
    for (const auto& m : messages) ids.push_back(m.id);
    return ids;
}

}  // namespace rooms::test_support
