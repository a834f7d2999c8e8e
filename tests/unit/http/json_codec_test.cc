#include "http/json_codec.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/message_codec.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::FixedTime;
using unit::MakeMessage;

TEST(JsonCodecTest, MessageUsesStringIdsAndRfc3339Time) {
    const auto obj = json::parse(SerializeMessage(MakeMessage(9007199254740993, 3, "hi", "bob", 12))).as_object();
    EXPECT_EQ(obj.size(), 7u);
    // 2^53 + 1: would lose precision as a JSON number in JavaScript; the contract says strings.
    EXPECT_EQ(obj.at("id").as_string(), "9007199254740993");
    EXPECT_EQ(obj.at("room_id").as_string(), "3");
    EXPECT_EQ(obj.at("user_id").as_string(), "12");
    EXPECT_EQ(obj.at("nickname").as_string(), "bob");
    EXPECT_EQ(obj.at("content").as_string(), "hi");
    EXPECT_EQ(obj.at("type").as_string(), "message");
    EXPECT_TRUE(obj.at("time_created").as_string().ends_with("Z"));
}

TEST(JsonCodecTest, MessageTypes) {
    EXPECT_EQ(MessageTypeName(MessageType::kMessage), "message");
    EXPECT_EQ(MessageTypeName(MessageType::kJoin), "join");
    EXPECT_EQ(MessageTypeName(MessageType::kLeave), "leave");
}

TEST(JsonCodecTest, HistoryKeepsTheGivenOrder) {
    const std::vector<Message> newest_first = {MakeMessage(3, 1), MakeMessage(2, 1), MakeMessage(1, 1)};
    const auto arr = json::parse(SerializeHistory(newest_first)).as_array();
    ASSERT_EQ(arr.size(), 3u);
    EXPECT_EQ(arr[0].as_object().at("id").as_string(), "3");
    EXPECT_EQ(arr[2].as_object().at("id").as_string(), "1");
    EXPECT_EQ(SerializeHistory({}), "[]");
}

TEST(JsonCodecTest, Room) {
    const auto obj = RoomToJson(Room{4, "lobby", FixedTime()});
    EXPECT_EQ(obj.at("id").as_string(), "4");
    EXPECT_EQ(obj.at("name").as_string(), "lobby");
    EXPECT_EQ(obj.at("time_created").as_string(), "2026-11-29T02:31:00.123456Z");
}

TEST(JsonCodecTest, WsErrorFrame) {
    const auto obj = json::parse(SerializeWsError("message must not be empty \"x\"")).as_object();
    EXPECT_EQ(obj.at("type").as_string(), "error");
    EXPECT_EQ(obj.at("message").as_string(), "message must not be empty \"x\"");
}

TEST(JsonCodecTest, ParseJsonObjectAndRequireString) {
    EXPECT_EQ(ParseJsonObject("{nope").error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(ParseJsonObject("[1]").error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(ParseJsonObject("").error().code, ErrorCode::kInvalidArgument);
    auto obj = ParseJsonObject(R"({"nickname":"alice","password":12,"empty":null})");
    ASSERT_TRUE(obj.ok());
    EXPECT_EQ(RequireString(*obj, "nickname").value(), "alice");
    auto wrong_type = RequireString(*obj, "password");
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.error().message.find("password"), std::string::npos);
    auto missing = RequireString(*obj, "refresh_token");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("refresh_token"), std::string::npos);
    EXPECT_FALSE(RequireString(*obj, "empty").ok());
}

}  // namespace
}  // namespace rooms
