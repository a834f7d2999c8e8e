// The record codec needs no broker; it lives here with the adapter's other tests.
#include "common/message_codec.h"

#include <gtest/gtest.h>

namespace rooms {
namespace {

Message Sample(MessageType type) {
    Message m;
    m.id = 7283645219012345678;
    m.room_id = 42;
    m.user_id = 9007199254740993;  // beyond a double's exact integers: must stay an exact integer
    m.nickname = "Zoë \"the\" <admin>";
    m.content = "héllo\nwörld ✓ \\ \u0001 emoji 😀";
    m.time_created = TimePoint(std::chrono::microseconds(1718000000123456));
    m.type = type;
    return m;
}

void ExpectSame(const Message& a, const Message& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.room_id, b.room_id);
    EXPECT_EQ(a.user_id, b.user_id);
    EXPECT_EQ(a.nickname, b.nickname);
    EXPECT_EQ(a.content, b.content);
    EXPECT_EQ(a.time_created, b.time_created);
    EXPECT_EQ(a.type, b.type);
}

TEST(MessageCodec, RoundTripsEveryFieldAndType) {
    for (MessageType type : {MessageType::kMessage, MessageType::kJoin, MessageType::kLeave}) {
        Message m = Sample(type);
        Result<Message> decoded = DecodeMessage(EncodeMessage(m));
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        ExpectSame(m, *decoded);
    }
}

TEST(MessageCodec, KeyIsTheRoomIdInDecimal) {
    Message m = Sample(MessageType::kMessage);
    EXPECT_EQ(MessageKey(m), "42");
    m.room_id = 1234567890123;
    EXPECT_EQ(MessageKey(m), "1234567890123");
}

TEST(MessageCodec, ValueIsPlainJsonWithIntegerMicroseconds) {
    Message m = Sample(MessageType::kJoin);
    std::string value = EncodeMessage(m);
    EXPECT_NE(value.find("\"time_created\":1718000000123456"), std::string::npos) << value;
    EXPECT_NE(value.find("\"type\":\"join\""), std::string::npos) << value;
    EXPECT_NE(value.find("\"id\":7283645219012345678"), std::string::npos) << value;
}

TEST(MessageCodec, IgnoresUnknownFields) {
    Result<Message> decoded = DecodeMessage(
        R"({"id":1,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"leave","v":2})");
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->type, MessageType::kLeave);
    EXPECT_EQ(decoded->time_created.time_since_epoch().count(), 4);
}

TEST(MessageCodec, RejectsInvalidRecordsWithAnErrorNotAnException) {
    const std::string valid =
        R"({"id":1,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"message"})";
    ASSERT_TRUE(DecodeMessage(valid).ok());
    const std::vector<std::string> invalid = {
        "",
        "not json",
        "{",
        valid.substr(0, valid.size() - 1),  // truncated
        "[1,2,3]",
        "42",
        "null",
        R"({"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"message"})",
        R"({"id":"1","room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"message"})",
        R"({"id":0,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"message"})",
        R"({"id":1,"room_id":-2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"message"})",
        R"({"id":1.5,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"message"})",
        R"({"id":1,"room_id":2,"user_id":3,"nickname":7,"content":"c","time_created":4,"type":"message"})",
        R"({"id":1,"room_id":2,"user_id":3,"nickname":"n","content":null,"time_created":4,"type":"message"})",
        R"({"id":1,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":"4","type":"message"})",
        R"({"id":1,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,"type":"shout"})",
        R"({"id":1,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4})",
        R"({"id":18446744073709551615,"room_id":2,"user_id":3,"nickname":"n","content":"c","time_created":4,)"
        R"("type":"message"})",
    };
    for (const std::string& value : invalid) {
        Result<Message> decoded = DecodeMessage(value);
        ASSERT_FALSE(decoded.ok()) << "accepted: " << value;
        EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
        EXPECT_NE(decoded.error().message.find("invalid message record"), std::string::npos) << decoded.error().message;
    }
}

}  // namespace
}  // namespace rooms
