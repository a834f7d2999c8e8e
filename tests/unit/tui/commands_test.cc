#include "tui/commands.h"

#include <gtest/gtest.h>

namespace rooms::tui {
namespace {

using Kind = Command::Kind;

TEST(CommandsTest, TextIsAMessageAsTyped) {
    EXPECT_EQ(ParseCommand("hello there ").kind, Kind::kMessage);
    EXPECT_EQ(ParseCommand("hello there ").argument, "hello there ");
    EXPECT_EQ(ParseCommand("two\nlines").argument, "two\nlines");
    auto escaped = ParseCommand("//join is a command");
    EXPECT_EQ(escaped.kind, Kind::kMessage);
    EXPECT_EQ(escaped.argument, "/join is a command");
}

TEST(CommandsTest, CommandsWithARoom) {
    auto join = ParseCommand("/join  general chat ");
    EXPECT_EQ(join.kind, Kind::kJoin);
    EXPECT_EQ(join.argument, "general chat");
    auto create = ParseCommand("/create 日本語");
    EXPECT_EQ(create.kind, Kind::kCreate);
    EXPECT_EQ(create.argument, "日本語");
    EXPECT_EQ(ParseCommand("/join").kind, Kind::kInvalid);
    EXPECT_EQ(ParseCommand("/join").argument, "usage: /join ROOM");
    EXPECT_EQ(ParseCommand("/create   ").kind, Kind::kInvalid);
}

TEST(CommandsTest, CommandsWithoutArguments) {
    EXPECT_EQ(ParseCommand("/leave").kind, Kind::kLeave);
    EXPECT_EQ(ParseCommand("/who").kind, Kind::kWho);
    EXPECT_EQ(ParseCommand("/rooms").kind, Kind::kRooms);
    EXPECT_EQ(ParseCommand("/help").kind, Kind::kHelp);
    EXPECT_EQ(ParseCommand("/logout").kind, Kind::kLogout);
    EXPECT_EQ(ParseCommand("/quit").kind, Kind::kQuit);
    EXPECT_EQ(ParseCommand("/exit").kind, Kind::kQuit);
    EXPECT_EQ(ParseCommand(" /quit").kind, Kind::kMessage);  // only a leading slash makes a command
    auto extra = ParseCommand("/quit now");
    EXPECT_EQ(extra.kind, Kind::kInvalid);
    EXPECT_EQ(extra.argument, "/quit takes no argument");
}

TEST(CommandsTest, UnknownAndMultiLineCommandsAreRefused) {
    auto unknown = ParseCommand("/dance");
    EXPECT_EQ(unknown.kind, Kind::kInvalid);
    EXPECT_NE(unknown.argument.find("/dance"), std::string::npos);
    EXPECT_EQ(ParseCommand("/join a\nb").kind, Kind::kInvalid);
    EXPECT_EQ(ParseCommand("/").kind, Kind::kInvalid);
}

TEST(CommandsTest, HelpNamesEveryCommand) {
    const std::string help(HelpText());
    for (const char* c : {"/join", "/create", "/leave", "/who", "/quit", "Alt+Enter", "Ctrl+J"})
        EXPECT_NE(help.find(c), std::string::npos) << c;
}

}  // namespace
}  // namespace rooms::tui
