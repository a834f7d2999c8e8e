#include "client/wire.h"

#include <gtest/gtest.h>

namespace rooms::client {
namespace {

TEST(WireTest, AMessageOfThisServerHasEveryField) {
    auto m = ParseMessage(R"({"id":"7","type":"message","content":"hi 😀","room_id":"1","nickname":"alice",
                              "user_id":"3","time_created":"2026-12-01T10:00:00.5Z"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, "7");
    EXPECT_EQ(m->type, "message");
    EXPECT_EQ(m->content, "hi 😀");
    EXPECT_EQ(m->nickname, "alice");
    EXPECT_EQ(m->time_created, "2026-12-01T10:00:00.5Z");
}

TEST(WireTest, TheSeedsMessagesHaveNoIdAndNoTypeAndItsNoticesAreRecognised) {
    auto m = ParseMessage(R"({"content":"joined the room","room_id":"1","nickname":"bob","user_id":"2",
                              "time_created":"2026-12-01T10:00:00Z"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, "");
    EXPECT_EQ(m->type, "join");
    EXPECT_EQ(ParseMessage(R"({"content":"left the room","nickname":"bob"})")->type, "leave");
    EXPECT_EQ(ParseMessage(R"({"content":"hello","nickname":"bob"})")->type, "message");
}

TEST(WireTest, HistoryIsAnArrayAndNullIsEmpty) {
    auto list = ParseMessageList(R"([{"id":"2","content":"b"},{"id":"1","content":"a"}])");
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].id, "2");
    EXPECT_TRUE(ParseMessageList("[]")->empty());
    EXPECT_TRUE(ParseMessageList("null")->empty());
    EXPECT_FALSE(ParseMessageList(R"({"content":"not a list"})"));
    EXPECT_FALSE(ParseMessageList("[1]"));
}

TEST(WireTest, AnErrorFrameIsForTheSenderOnly) {
    auto f = ParseRoomFrame(R"({"type":"error","message":"message not sent: too many messages, slow down"})");
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->message);
    EXPECT_EQ(*f->error, "message not sent: too many messages, slow down");
    auto m = ParseRoomFrame(R"({"id":"1","type":"message","content":"x","nickname":"a"})");
    ASSERT_TRUE(m && m->message);
    EXPECT_FALSE(ParseRoomFrame("not json"));
    EXPECT_FALSE(ParseRoomFrame(R"({"type":"unknown","content":"x"})"));
}

TEST(WireTest, RoomsClientsAndTokens) {
    auto rooms = ParseRooms(R"([{"id":"1","name":"general","time_created":"t"},{"id":"2","name":"日本"}])");
    ASSERT_TRUE(rooms);
    ASSERT_EQ(rooms->size(), 2u);
    EXPECT_EQ((*rooms)[1].name, "日本");
    EXPECT_TRUE(ParseRooms("null")->empty());
    EXPECT_EQ(*ParseClients(R"([{"nickname":"a"},{"nickname":"b"}])"), (std::vector<std::string>{"a", "b"}));
    auto tokens = ParseTokenPair(R"({"nickname":"a","user_id":"1","access_token":"x.y.z","refresh_token":"r"})");
    ASSERT_TRUE(tokens);
    EXPECT_EQ(tokens->refresh_token, "r");
    EXPECT_FALSE(ParseTokenPair(R"({"nickname":"a"})"));
}

TEST(WireTest, ErrorMessagesAndRequestBodies) {
    EXPECT_EQ(ParseErrorMessage(R"({"message":"invalid credentials"})"), "invalid credentials");
    EXPECT_EQ(ParseErrorMessage("404 page not found\n"), "404 page not found");
    EXPECT_EQ(CredentialsJson("a\"b", "p"), R"({"nickname":"a\"b","password":"p"})");
    EXPECT_EQ(RefreshTokenJson("t"), R"({"refresh_token":"t"})");
    EXPECT_EQ(RoomNameJson("x"), R"({"name":"x"})");
}

}  // namespace
}  // namespace rooms::client
