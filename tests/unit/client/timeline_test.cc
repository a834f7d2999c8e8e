#include "client/timeline.h"

#include <gtest/gtest.h>

namespace rooms::client {
namespace {

ChatMessage Msg(int id, std::string content = {}) {
    ChatMessage m;
    m.id = std::to_string(id);
    m.type = "message";
    m.nickname = "alice";
    m.content = content.empty() ? "m" + std::to_string(id) : content;
    m.time_created = "2026-12-01T10:00:" + std::string(id % 60 < 10 ? "0" : "") + std::to_string(id % 60) + "Z";
    return m;
}

/// Messages from..to (inclusive), newest first, as the server sends history and pages.
std::vector<ChatMessage> NewestFirst(int from, int to) {
    std::vector<ChatMessage> out;
    for (int id = to; id >= from; --id) out.push_back(Msg(id));
    return out;
}

std::vector<std::string> Ids(const std::deque<ChatMessage>& entries) {
    std::vector<std::string> out;
    for (const auto& m : entries) out.push_back(m.IsLocal() ? m.type : m.id);
    return out;
}

std::vector<std::string> Ids(const std::vector<ChatMessage>& entries) {
    return Ids(std::deque<ChatMessage>(entries.begin(), entries.end()));
}

std::vector<std::string> Range(int from, int to) {
    std::vector<std::string> out;
    for (int id = from; id <= to; ++id) out.push_back(std::to_string(id));
    return out;
}

TEST(RoomTimelineTest, FirstJoinShowsTheHistoryOldestFirst) {
    RoomTimeline t;
    auto resume = t.BeginResume(NewestFirst(1, 5));
    EXPECT_FALSE(resume.NeedsOlder());  // nothing shown yet: nothing can be missing
    auto fresh = t.Commit(std::move(resume));
    EXPECT_EQ(Ids(fresh), Range(1, 5));
    EXPECT_EQ(Ids(t.entries()), Range(1, 5));
}

TEST(RoomTimelineTest, LiveMessagesAreAppendedOnce) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(1, 3)));
    EXPECT_TRUE(t.AppendLive(Msg(4)));
    EXPECT_FALSE(t.AppendLive(Msg(4)));
    EXPECT_FALSE(t.AppendLive(Msg(2)));
    EXPECT_EQ(Ids(t.entries()), Range(1, 4));
}

TEST(RoomTimelineTest, ReconnectWithOverlappingHistoryAddsOnlyWhatWasMissed) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(1, 10)));
    // Offline while 11..14 were sent; the new join's history (the newest 10) reaches back to 5.
    auto resume = t.BeginResume(NewestFirst(5, 14));
    EXPECT_FALSE(resume.NeedsOlder());
    auto fresh = t.Commit(std::move(resume));
    EXPECT_EQ(Ids(fresh), Range(11, 14));
    EXPECT_EQ(Ids(t.entries()), Range(1, 14));
}

TEST(RoomTimelineTest, ReconnectWithNothingNewChangesNothing) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(1, 10)));
    auto fresh = t.Commit(t.BeginResume(NewestFirst(1, 10)));
    EXPECT_TRUE(fresh.empty());
    EXPECT_EQ(Ids(t.entries()), Range(1, 10));
}

TEST(RoomTimelineTest, AGapLargerThanTheHistoryIsClosedFromOlderPages) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(1, 10)));
    // 250 messages while away: the history frame holds 161..260 only.
    auto resume = t.BeginResume(NewestFirst(161, 260));
    ASSERT_TRUE(resume.NeedsOlder());
    EXPECT_EQ(resume.OlderThan(), "161");
    resume.AddOlder(NewestFirst(61, 160), 100);
    ASSERT_TRUE(resume.NeedsOlder());
    EXPECT_EQ(resume.OlderThan(), "61");
    resume.AddOlder(NewestFirst(1, 60), 100);  // reaches a known message (and the start)
    EXPECT_FALSE(resume.NeedsOlder());
    auto fresh = t.Commit(std::move(resume));
    EXPECT_EQ(Ids(fresh), Range(11, 260));
    EXPECT_EQ(Ids(t.entries()), Range(1, 260));
}

TEST(RoomTimelineTest, AGapThatCannotBeClosedIsMarked) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(1, 10)));
    auto resume = t.BeginResume(NewestFirst(201, 300));
    ASSERT_TRUE(resume.NeedsOlder());
    resume.GiveUp("the server offers no scroll-back");
    EXPECT_FALSE(resume.NeedsOlder());
    auto fresh = t.Commit(std::move(resume));
    ASSERT_EQ(fresh.size(), 101u);
    EXPECT_EQ(fresh.front().type, "gap");
    EXPECT_NE(fresh.front().content.find("no scroll-back"), std::string::npos);
    auto ids = Ids(t.entries());
    ASSERT_EQ(ids.size(), 111u);
    EXPECT_EQ(ids[9], "10");
    EXPECT_EQ(ids[10], "gap");
    EXPECT_EQ(ids[11], "201");
}

TEST(RoomTimelineTest, ReachingTheRoomsStartWithoutOverlapIsNoGap) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(1, 3)));
    auto resume = t.BeginResume(NewestFirst(50, 60));
    ASSERT_TRUE(resume.NeedsOlder());
    resume.AddOlder({}, 100);  // an empty page: nothing older exists
    EXPECT_FALSE(resume.NeedsOlder());
    auto fresh = t.Commit(std::move(resume));
    EXPECT_EQ(Ids(fresh), Range(50, 60));
}

TEST(RoomTimelineTest, AMessageMissedBetweenKnownOnesGoesInItsPlace) {
    RoomTimeline t;
    t.Commit(t.BeginResume({Msg(4), Msg(2), Msg(1)}));
    auto fresh = t.Commit(t.BeginResume(NewestFirst(1, 5)));
    EXPECT_EQ(Ids(fresh), (std::vector<std::string>{"3", "5"}));
    EXPECT_EQ(Ids(t.entries()), Range(1, 5));
}

TEST(RoomTimelineTest, WithoutIdsMessagesAreTheSameByNicknameTimeAndContent) {
    auto seed = [](std::string nick, std::string time, std::string content) {
        ChatMessage m;
        m.type = "message";
        m.nickname = std::move(nick);
        m.time_created = std::move(time);
        m.content = std::move(content);
        return m;
    };
    RoomTimeline t;
    t.Commit(t.BeginResume({seed("bob", "2026-12-01T10:00:02Z", "two"), seed("bob", "2026-12-01T10:00:01Z", "one")}));
    EXPECT_FALSE(t.AppendLive(seed("bob", "2026-12-01T10:00:02Z", "two")));
    EXPECT_TRUE(t.AppendLive(seed("bob", "2026-12-01T10:00:02Z", "two again")));
    EXPECT_TRUE(t.AppendLive(seed("carol", "2026-12-01T10:00:02Z", "two")));
    auto resume =
        t.BeginResume({seed("dan", "2026-12-01T10:00:09Z", "new"), seed("bob", "2026-12-01T10:00:02Z", "two")});
    EXPECT_FALSE(resume.NeedsOlder());
    auto fresh = t.Commit(std::move(resume));
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(fresh[0].nickname, "dan");
    EXPECT_EQ(t.entries().size(), 5u);
}

TEST(RoomTimelineTest, WithoutIdsAGapCannotBePagedBack) {
    RoomTimeline t;
    ChatMessage old;
    old.type = "message";
    old.nickname = "bob";
    old.time_created = "2026-12-01T09:00:00Z";
    old.content = "old";
    t.Commit(t.BeginResume({old}));
    ChatMessage newer = old;
    newer.content = "newer";
    auto resume = t.BeginResume({newer});
    EXPECT_TRUE(resume.NeedsOlder());
    EXPECT_EQ(resume.OlderThan(), "");  // the caller gives up: no id to page from
}

TEST(RoomTimelineTest, ScrollBackPrependsOlderPagesUntilTheStart) {
    RoomTimeline t;
    t.Commit(t.BeginResume(NewestFirst(201, 300)));
    EXPECT_EQ(t.OldestId(), "201");
    auto fresh = t.PrependOlder(NewestFirst(101, 200), 100);
    EXPECT_EQ(Ids(fresh), Range(101, 200));
    EXPECT_FALSE(t.reached_start());
    t.PrependOlder(NewestFirst(1, 100), 100);
    t.PrependOlder({}, 100);
    EXPECT_TRUE(t.reached_start());
    EXPECT_EQ(Ids(t.entries()), Range(1, 300));
}

TEST(RoomTimelineTest, NoticesAreKeptButNeverDeduplicated) {
    RoomTimeline t;
    t.AddNotice("hello", "2026-12-01T10:00:00Z");
    t.AddNotice("hello", "2026-12-01T10:00:00Z");
    EXPECT_EQ(t.entries().size(), 2u);
    // Only notices: the first history is a first join, not a gap.
    auto resume = t.BeginResume(NewestFirst(1, 2));
    EXPECT_FALSE(resume.NeedsOlder());
    EXPECT_EQ(Ids(t.Commit(std::move(resume))), Range(1, 2));
}

TEST(RoomTimelineTest, TheOldestEntriesGoBeyondTheLimit) {
    RoomTimeline t(5);
    t.Commit(t.BeginResume(NewestFirst(1, 8)));
    EXPECT_EQ(Ids(t.entries()), Range(4, 8));
    EXPECT_TRUE(t.AppendLive(Msg(9)));
    EXPECT_EQ(Ids(t.entries()), Range(5, 9));
}

}  // namespace
}  // namespace rooms::client
