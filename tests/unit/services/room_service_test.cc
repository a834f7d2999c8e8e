#include "services/room_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "adapters/memory/memory_presence.h"
#include "adapters/sqlite/sqlite_store.h"
#include "support/simulated_time.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;

std::vector<RoomId> IdsOf(const std::vector<Room>& rooms) {
    std::vector<RoomId> out;
    for (const auto& r : rooms) out.push_back(r.id);
    return out;
}

class RoomServiceTest : public ::testing::Test {
  protected:
    SqliteDatabase db_{":memory:"};
    SqliteRoomStore store_{db_};
    MemoryPresence presence_;
    test_support::SimulatedTime time_;
};

TEST_F(RoomServiceTest, EachUserCreatesRoomsAtItsOwnRate) {
    RateLimiter per_user(1.0 / 60, 3, time_);  // one a minute, three at once
    RoomService rooms(store_, presence_, time_, RoomLimits{&per_user, 0});
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(rooms.Create(1, "room").ok()) << i;
    auto refused = rooms.Create(1, "one too many");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(refused.error().message, "too many rooms created, slow down");
    EXPECT_EQ(refused.error().retry_after_s, 60);
    EXPECT_TRUE(rooms.Create(2, "another user").ok()) << "the rate is per user";
    EXPECT_EQ(rooms.Version().count, 4);
    time_.Advance(60s);
    EXPECT_TRUE(rooms.Create(1, "a minute later").ok());
    // Invalid names are refused before they cost a token.
    EXPECT_EQ(rooms.Create(2, " ").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RoomServiceTest, TheTotalCapRefusesWithConflict) {
    RoomService rooms(store_, presence_, time_, RoomLimits{nullptr, 3});
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(rooms.Create(1 + i, "room").ok());
    auto refused = rooms.Create(9, "fourth");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    EXPECT_EQ(refused.error().message, "room limit reached: this server holds 3 rooms");
    EXPECT_EQ(rooms.List().size(), 3u);
}

TEST_F(RoomServiceTest, PagesWalkTheListOldestFirstToItsEnd) {
    RoomService rooms(store_, presence_, time_);
    std::vector<RoomId> created;
    for (int i = 0; i < 7; ++i) created.push_back(rooms.Create(1, "r" + std::to_string(i))->id);
    std::vector<RoomId> walked;
    std::optional<RoomId> after;
    int pages = 0;
    for (; pages < 10; ++pages) {
        RoomPage page = rooms.ListPage(after, 3);
        for (RoomId id : IdsOf(page.rooms)) walked.push_back(id);
        if (!page.next_after) break;
        EXPECT_EQ(page.rooms.size(), 3u);
        EXPECT_EQ(*page.next_after, page.rooms.back().id);
        after = page.next_after;
    }
    EXPECT_EQ(pages, 2) << "3 + 3 + 1";
    EXPECT_EQ(walked, created);
    EXPECT_EQ(IdsOf(rooms.List()), created);
    // A page that ends exactly at the last room says so: no empty page to fetch.
    EXPECT_FALSE(rooms.ListPage(created[3], 3).next_after);
    EXPECT_TRUE(rooms.ListPage(created[6], 3).rooms.empty());
}

TEST_F(RoomServiceTest, TheVersionChangesExactlyWhenTheListDoes) {
    RoomService rooms(store_, presence_, time_);
    const RoomListVersion empty = rooms.Version();
    EXPECT_EQ(empty, (RoomListVersion{0, 0}));
    const RoomId id = rooms.Create(1, "a")->id;
    const RoomListVersion one = rooms.Version();
    EXPECT_EQ(one, (RoomListVersion{1, id}));
    EXPECT_EQ(rooms.Version(), one) << "reading changes nothing";
    rooms.Create(1, "b");
    EXPECT_NE(rooms.Version(), one);
}

}  // namespace
}  // namespace rooms
