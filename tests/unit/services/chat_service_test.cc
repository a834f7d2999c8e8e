#include "services/chat_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/recent_overlay.h"
#include "adapters/sqlite/sqlite_store.h"
#include "services/batch_persister.h"
#include "services/group_commit_bus.h"
#include "support/simulated_time.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::FixedTime;
using unit::Ids;
using unit::MakeMessage;

ChatSettings Settings(int history_size, std::int64_t max_message_bytes, int pending_wait_ms = 5000) {
    ChatSettings s;
    s.history_size = history_size;
    s.max_message_bytes = max_message_bytes;
    s.pending_wait_ms = pending_wait_ms;
    return s;
}

/// The `all` role's chat wiring: group commit (SQLite store + memory cache) -> memory bus.
class ChatServiceTest : public ::testing::Test {
  protected:
    void SetUp() override { room_ = rooms_.Create("room", FixedTime()).id; }

    SqliteDatabase db_{":memory:"};
    SqliteRoomStore rooms_{db_};
    SqliteMessageStore store_{db_};
    MemoryHistoryCache cache_{3};
    BatchPersister persister_{store_, cache_};
    MemoryBus bus_;
    GroupCommitBus commit_{persister_, bus_, GroupCommitLimits{}};
    IdGenerator ids_{4};
    test_support::SimulatedTime time_;
    ChatService chat_{commit_, cache_, store_, ids_, nullptr, Settings(3, 16), time_};
    RoomId room_ = 0;
};

TEST_F(ChatServiceTest, StampFillsEveryField) {
    const auto before = time_.Now();
    const Message m = chat_.Stamp(room_, Principal{5, "eve"}, MessageType::kJoin, std::string(kJoinedContent));
    EXPECT_GT(m.id, 0);
    EXPECT_EQ(m.room_id, room_);
    EXPECT_EQ(m.user_id, 5);
    EXPECT_EQ(m.nickname, "eve");
    EXPECT_EQ(m.content, "joined the room");
    EXPECT_EQ(m.type, MessageType::kJoin);
    EXPECT_GE(m.time_created, before);
    const Message next = chat_.Stamp(room_, Principal{5, "eve"}, MessageType::kMessage, "x");
    EXPECT_GT(next.id, m.id);
}

TEST_F(ChatServiceTest, ValidateUsesTheConfiguredByteLimit) {
    EXPECT_FALSE(chat_.Validate("sixteen bytes!!!").has_value());
    ASSERT_TRUE(chat_.Validate("seventeen bytes!!").has_value());
    EXPECT_EQ(chat_.Validate("seventeen bytes!!")->code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(chat_.Validate("  ").has_value());
}

TEST_F(ChatServiceTest, RecentReadsTheStoreOnceThenTheCache) {
    std::vector<Message> stored;
    for (MessageId id = 1; id <= 5; ++id) stored.push_back(MakeMessage(id, room_));
    store_.InsertBatch(stored);
    EXPECT_EQ(Ids(chat_.Recent(room_)), (std::vector<MessageId>{5, 4, 3}));

    // Published messages go to the cache and the store.
    std::atomic<int> accepted = 0;
    for (int i = 0; i < 2; ++i) {
        Message m = chat_.Stamp(room_, Principal{1, "alice"}, MessageType::kMessage, "live " + std::to_string(i));
        chat_.Publish(std::move(m), [&](std::optional<Error> err) { accepted += !err; });
    }
    commit_.Stop();  // commits what is queued
    EXPECT_EQ(accepted.load(), 2);
    const auto recent = chat_.Recent(room_);
    ASSERT_EQ(recent.size(), 3u);
    EXPECT_EQ(recent[0].content, "live 1");
    EXPECT_EQ(recent[1].content, "live 0");
    EXPECT_EQ(recent[2].id, 5);

    auto page = chat_.Page(room_, std::nullopt, 100);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->size(), 7u);
    EXPECT_EQ(page->front().content, "live 1");
}

TEST(ChatServiceJoinHistoryTest, JoinHistoryPrefersChatMessagesOverNotices) {
    const auto notice = [](MessageId id) { return MakeMessage(id, 1, "", "bob", 2, MessageType::kJoin); };
    const auto chat = [](MessageId id) { return MakeMessage(id, 1); };
    // Newest first: notices 9, 8, chat 7, notice 6, chat 5, chat 4, notice 3.
    const std::vector<Message> mixed = {notice(9), notice(8), chat(7), notice(6), chat(5), chat(4), notice(3)};
    EXPECT_EQ(Ids(SelectJoinHistory(mixed, 3)), (std::vector<MessageId>{7, 5, 4})) << "three chat messages: no notice";
    EXPECT_EQ(Ids(SelectJoinHistory(mixed, 5)), (std::vector<MessageId>{9, 8, 7, 5, 4}))
        << "two slots left: the two newest notices, in their place";
    EXPECT_EQ(Ids(SelectJoinHistory(mixed, 100)), (std::vector<MessageId>{9, 8, 7, 6, 5, 4, 3})) << "room for all";
    EXPECT_TRUE(SelectJoinHistory(mixed, 0).empty());
}

TEST_F(ChatServiceTest, JoinHistoryAfterAMissReadsThePastNoticesInTheStore) {
    std::vector<Message> stored;
    for (MessageId id = 1; id <= 3; ++id) stored.push_back(MakeMessage(id, room_));
    // A storm: 20 notices, more than six pages of the history size (3).
    for (MessageId id = 4; id < 24; ++id)
        stored.push_back(MakeMessage(id, room_, "", "bob", 2, id % 2 ? MessageType::kJoin : MessageType::kLeave));
    store_.InsertBatch(stored);
    EXPECT_EQ(Ids(chat_.Recent(room_)), (std::vector<MessageId>{3, 2, 1})) << "from the store, a miss";
    EXPECT_EQ(Ids(chat_.Recent(room_)), (std::vector<MessageId>{3, 2, 1})) << "from the cache it filled";
    // Live notices do not push them out either.
    for (int i = 0; i < 10; ++i)
        chat_.Publish(chat_.Stamp(room_, Principal{2, "bob"}, MessageType::kLeave, "left the room"),
                      [](const std::optional<Error>&) {});
    EXPECT_EQ(Ids(chat_.Recent(room_)), (std::vector<MessageId>{3, 2, 1}));
}

TEST_F(ChatServiceTest, RecentOfAnEmptyRoomIsEmpty) {
    EXPECT_TRUE(chat_.Recent(room_).empty());
    EXPECT_TRUE(chat_.Recent(room_).empty());  // a hit now
}

TEST_F(ChatServiceTest, HistorySizeZeroSendsNothing) {
    const Message m = MakeMessage(1, room_);
    store_.InsertBatch({&m, 1});
    ChatService no_history(bus_, cache_, store_, ids_, nullptr, Settings(0, 4096), time_);
    EXPECT_TRUE(no_history.Recent(room_).empty());
}

/// The `websocket` role's chat: a RecentOverlay (what the gateway fanned out) in front of the shared cache,
/// over a store that a consumer writes later.
struct GatewayChat {
    struct Nowhere : MessageSink {
        void OnMessage(const Message&) override {}
    };
    GatewayChat(HistoryCache& shared, ChatSettings settings)
        : overlay(hub, {10, std::chrono::seconds(30), 100}, RealTimeSource::Instance()),
          chat(bus, shared, store, ids, &overlay, settings, RealTimeSource::Instance()) {}
    SqliteDatabase db{":memory:"};
    SqliteRoomStore rooms{db};
    SqliteMessageStore store{db};
    const RoomId room = rooms.Create("room", FixedTime()).id;
    Nowhere hub;
    RecentOverlay overlay;
    MemoryBus bus;
    IdGenerator ids{4};
    ChatService chat;
};

/// A message fanned out by Kafka reaches the store only when a consumer writes it. Scroll-back from it waits
/// for that instead of answering 404.
TEST(ChatServicePendingTest, ScrollBackFromAMessageNotStoredYetWaitsForIt) {
    MemoryHistoryCache shared(10);
    GatewayChat g(shared, Settings(10, 4096, 5000));
    shared.Fill(g.room, {});

    const std::vector<Message> older{MakeMessage(1, g.room), MakeMessage(2, g.room)};
    g.store.InsertBatch(older);
    const Message pending = MakeMessage(3, g.room);
    g.overlay.OnMessage(pending);
    std::thread consumer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        g.store.InsertBatch(std::vector<Message>{pending});
    });
    auto page = g.chat.Page(g.room, MessageId{3}, 10);
    consumer.join();
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(Ids(page.value()), (std::vector<MessageId>{2, 1}));

    // The newest page has what is stored and what is not yet.
    g.overlay.OnMessage(MakeMessage(4, g.room));
    auto newest = g.chat.Page(g.room, std::nullopt, 3);
    ASSERT_TRUE(newest.ok());
    EXPECT_EQ(Ids(newest.value()), (std::vector<MessageId>{4, 3, 2}));

    // An id nobody accepted is still unknown, at once.
    auto unknown = g.chat.Page(g.room, MessageId{99}, 10);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

/// A cache that is down (Redis stopped): every call throws.
struct DownCache : HistoryCache {
    [[noreturn]] static void Fail() { throw std::runtime_error("redis: connection refused"); }
    void Append(const Message&) override { Fail(); }
    std::optional<std::vector<Message>> Recent(RoomId, int) override { Fail(); }
    void Fill(RoomId, std::vector<Message>) override { Fail(); }
};

/// Without its cache, the websocket role still answers a join: the store's rows plus what the gateway fanned
/// out that the store does not hold yet.
TEST(ChatServiceCacheDownTest, RecentReadsTheStoreAndThePendingMessages) {
    DownCache down;
    GatewayChat g(down, Settings(3, 4096));

    g.store.InsertBatch(std::vector<Message>{MakeMessage(1, g.room), MakeMessage(2, g.room), MakeMessage(3, g.room)});
    g.overlay.OnMessage(MakeMessage(3, g.room));
    g.overlay.OnMessage(MakeMessage(4, g.room));  // fanned out, not stored yet
    EXPECT_EQ(Ids(g.chat.Recent(g.room)), (std::vector<MessageId>{4, 3, 2}));
}

}  // namespace
}  // namespace rooms
