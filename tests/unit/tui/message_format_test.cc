#include "tui/message_format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "tui/display_width.h"

namespace rooms::tui {
namespace {

/// Runs the test body in UTC, whatever the machine's zone.
class MessageFormatTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (const char* tz = std::getenv("TZ")) saved_ = tz;
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    void TearDown() override {
        if (saved_) {
            ::setenv("TZ", saved_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    std::optional<std::string> saved_;
};

client::ChatMessage Message(std::string nick, std::string content, std::string type = "message") {
    client::ChatMessage m;
    m.id = "1";
    m.type = std::move(type);
    m.nickname = std::move(nick);
    m.content = std::move(content);
    m.time_created = "2026-12-01T09:05:07.123456Z";
    return m;
}

TEST_F(MessageFormatTest, Rfc3339WithFractionsAndOffsets) {
    EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(ParseRfc3339("1970-01-01T01:00:00.999+01:00"), 0);
    EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00-00:30"), 1800);
    EXPECT_FALSE(ParseRfc3339("1970-01-01 00:00"));
    EXPECT_FALSE(ParseRfc3339("1970-13-01T00:00:00Z"));
    EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00"));
    EXPECT_EQ(LocalTimeOfDay("2026-12-01T09:05:07Z", false), "09:05");
    EXPECT_EQ(LocalTimeOfDay("2026-12-01T09:05:07+02:00", true), "07:05:07");
    EXPECT_EQ(LocalTimeOfDay("garbage", false), "--:--");
}

TEST_F(MessageFormatTest, AMessageIsTimeNickAndWrappedContent) {
    auto rows = FormatMessage(Message("bob", "hello there general kenobi"), "alice", 6 + 16);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].time, "09:05");
    EXPECT_EQ(rows[0].text, "bob: hello there");
    EXPECT_EQ(rows[0].nick_bytes, 3);
    EXPECT_EQ(rows[0].kind, RowKind::kMessage);
    EXPECT_EQ(rows[1].time, "");
    EXPECT_EQ(rows[1].text, "general kenobi");
    EXPECT_EQ(FormatMessage(Message("alice", "mine"), "alice", 40)[0].kind, RowKind::kOwn);
}

TEST_F(MessageFormatTest, WideContentWrapsWithinThePane) {
    auto rows = FormatMessage(Message("李", "你好世界你好世界"), "alice", 6 + 10);
    for (const auto& row : rows) EXPECT_LE(DisplayWidth(row.text), 10) << row.text;
    EXPECT_EQ(rows[0].text, "李: 你好世");
}

TEST_F(MessageFormatTest, PresenceNoticesAndPending) {
    auto join = FormatMessage(Message("bob", "joined the room", "join"), "alice", 40);
    EXPECT_EQ(join[0].text, "* bob joined the room");
    EXPECT_EQ(join[0].kind, RowKind::kPresence);
    auto notice = FormatMessage(Message("", "left general", "notice"), "alice", 40);
    EXPECT_EQ(notice[0].text, "-- left general");
    EXPECT_EQ(notice[0].kind, RowKind::kNotice);
    auto pending = FormatPending("on its way", "alice", 40);
    EXPECT_EQ(pending[0].time, "..");
    EXPECT_EQ(pending[0].text, "alice: on its way");
    EXPECT_EQ(pending[0].kind, RowKind::kPending);
}

TEST_F(MessageFormatTest, HostileContentCannotReachTheTerminal) {
    auto rows = FormatMessage(Message("m\x1b]0;x\x07", "\x1b[2J\x1b[Hgotcha"), "alice", 60);
    for (const auto& row : rows) EXPECT_EQ(row.text.find('\x1b'), std::string::npos);
    EXPECT_EQ(PlainLine(Message("bob", "\x1b[31mred")).find('\x1b'), std::string::npos);
}

TEST_F(MessageFormatTest, PlainLines) {
    EXPECT_EQ(PlainLine(Message("bob", "hi 😀")), "[09:05:07] bob: hi 😀\n");
    EXPECT_EQ(PlainLine(Message("bob", "one\ntwo")), "[09:05:07] bob: one\n  two\n");
    EXPECT_EQ(PlainLine(Message("bob", "joined the room", "join")), "[09:05:07] * bob joined the room\n");
    EXPECT_EQ(PlainLine(Message("bob", "left the room", "leave")), "[09:05:07] * bob left the room\n");
    EXPECT_EQ(PlainLine(Message("", "messages may be missing here", "gap")),
              "[09:05:07] -- messages may be missing here\n");
}

}  // namespace
}  // namespace rooms::tui
