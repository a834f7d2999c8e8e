#pragma once

// The contract of the store ports (UserStore, RefreshTokenStore, RoomStore, MessageStore): one typed test suite
// that every adapter runs — the SQLite stores in the unit tier, the PostgreSQL stores in the integration tier.
//
// An adapter instantiates it with a Backend type:
//     struct Backend {
//         void SetUp();       // a fresh, empty store; may fail the test (then nothing else runs)
//         void TearDown();
//         UserStore& users(); RefreshTokenStore& tokens(); RoomStore& rooms(); MessageStore& messages();
//         /// A second handle on the same data, as a second server instance would hold (may be the same object).
//         RefreshTokenStore& other_tokens();
//         /// A user as registered before nicknames had keys (nickname_key NULL); returns its id.
//         UserId CreateWithoutKey(const std::string& nickname);
//     };
//     INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Types<SqliteBackend>);

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "crypto/secrets.h"
#include "domain/ports.h"
#include "support/test_messages.h"

namespace rooms::contract {

using test_support::FixedTime;
using test_support::Ids;
using test_support::MakeMessage;

template <typename Backend>
class StoreContract : public ::testing::Test {
  protected:
    void SetUp() override {
        backend_.SetUp();
        if (HasFatalFailure()) return;
        room1_ = rooms().Create("one", FixedTime()).id;
        room2_ = rooms().Create("two", FixedTime()).id;
    }
    void TearDown() override { backend_.TearDown(); }

    UserStore& users() { return backend_.users(); }
    RefreshTokenStore& tokens() { return backend_.tokens(); }
    RoomStore& rooms() { return backend_.rooms(); }
    MessageStore& messages() { return backend_.messages(); }

    std::vector<MessageId> PageIds(RoomId room, std::optional<MessageId> before, int limit) {
        auto page = messages().Page(room, before, limit);
        EXPECT_TRUE(page.ok()) << page.error().message;
        return page.ok() ? Ids(page.value()) : std::vector<MessageId>{};
    }

    Backend backend_;
    RoomId room1_ = 0, room2_ = 0;
};

TYPED_TEST_SUITE_P(StoreContract);

TYPED_TEST_P(StoreContract, InsertIsIdempotent) {
    const Message m = MakeMessage(100, this->room1_);
    this->messages().InsertBatch({&m, 1});
    this->messages().InsertBatch({&m, 1});
    const std::vector<Message> twice_in_one_batch = {MakeMessage(101, this->room1_), MakeMessage(101, this->room1_)};
    this->messages().InsertBatch(twice_in_one_batch);
    // A retried batch overlapping what is stored already.
    const std::vector<Message> retry = {MakeMessage(100, this->room1_), MakeMessage(101, this->room1_),
                                        MakeMessage(102, this->room1_)};
    this->messages().InsertBatch(retry);
    EXPECT_EQ(this->PageIds(this->room1_, std::nullopt, 100), (std::vector<MessageId>{102, 101, 100}));
    EXPECT_EQ(this->messages().MaxId(), 102);
    this->messages().InsertBatch({});  // nothing
    EXPECT_EQ(this->PageIds(this->room1_, std::nullopt, 100).size(), 3u);
}

TYPED_TEST_P(StoreContract, RoundTripsEveryField) {
    const Message in =
        MakeMessage(5, this->room1_, "multi\nline 日本 😀 \"quoted\" 'single' \\ back", "Zoë", 77, MessageType::kLeave);
    this->messages().InsertBatch({&in, 1});
    auto page = this->messages().Page(this->room1_, std::nullopt, 10);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 1u);
    test_support::ExpectSameMessage(page->front(), in);
}

TYPED_TEST_P(StoreContract, PagesNewestFirstWithBefore) {
    std::vector<Message> batch;
    for (MessageId id = 1000; id < 1025; ++id) {
        batch.push_back(MakeMessage(id, this->room1_));
        batch.push_back(MakeMessage(id + 5000, this->room2_));  // interleaved other room
    }
    this->messages().InsertBatch(batch);

    std::vector<MessageId> expected_first, expected_second, expected_third;
    for (MessageId id = 1024; id >= 1015; --id) expected_first.push_back(id);
    for (MessageId id = 1014; id >= 1005; --id) expected_second.push_back(id);
    for (MessageId id = 1004; id >= 1000; --id) expected_third.push_back(id);

    EXPECT_EQ(this->PageIds(this->room1_, std::nullopt, 10), expected_first);
    EXPECT_EQ(this->PageIds(this->room1_, 1015, 10), expected_second);
    EXPECT_EQ(this->PageIds(this->room1_, 1005, 10), expected_third);
    EXPECT_TRUE(this->PageIds(this->room1_, 1000, 10).empty());
    EXPECT_EQ(this->PageIds(this->room1_, 1024, 1), (std::vector<MessageId>{1023}));
    EXPECT_EQ(this->PageIds(this->room2_, std::nullopt, 2), (std::vector<MessageId>{6024, 6023}));
}

TYPED_TEST_P(StoreContract, OrderIsAcceptanceOrderNotIdOrder) {
    // Ids from several nodes need not be monotonic in acceptance order.
    const std::vector<Message> batch = {MakeMessage(50, this->room1_), MakeMessage(30, this->room1_),
                                        MakeMessage(90, this->room1_), MakeMessage(10, this->room1_)};
    this->messages().InsertBatch(batch);
    EXPECT_EQ(this->PageIds(this->room1_, std::nullopt, 10), (std::vector<MessageId>{10, 90, 30, 50}));
    EXPECT_EQ(this->PageIds(this->room1_, 90, 10), (std::vector<MessageId>{30, 50}));
}

TYPED_TEST_P(StoreContract, UnknownBeforeIsNotFound) {
    const std::vector<Message> batch = {MakeMessage(1, this->room1_), MakeMessage(2, this->room2_)};
    this->messages().InsertBatch(batch);
    auto unknown = this->messages().Page(this->room1_, 12345, 10);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
    // An id that exists, but in another room.
    auto other_room = this->messages().Page(this->room1_, 2, 10);
    ASSERT_FALSE(other_room.ok());
    EXPECT_EQ(other_room.error().code, ErrorCode::kNotFound);
}

TYPED_TEST_P(StoreContract, EmptyStore) {
    EXPECT_EQ(this->messages().MaxId(), 0);
    EXPECT_TRUE(this->PageIds(this->room1_, std::nullopt, 10).empty());
    EXPECT_TRUE(this->PageIds(999, std::nullopt, 10).empty());
}

TYPED_TEST_P(StoreContract, Rooms) {
    const Room three = this->rooms().Create("日本 room", FixedTime());
    const auto list = this->rooms().List();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].name, "one");  // oldest first
    EXPECT_EQ(list[1].name, "two");
    EXPECT_EQ(list[2].name, "日本 room");
    EXPECT_LT(list[0].id, list[1].id);
    EXPECT_LT(list[1].id, list[2].id);
    EXPECT_EQ(list[2].id, three.id);
    const auto found = this->rooms().Find(three.id);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->name, "日本 room");
    EXPECT_EQ(found->time_created, FixedTime());
    EXPECT_FALSE(this->rooms().Find(three.id + 100).has_value());
}

TYPED_TEST_P(StoreContract, RoomPagesAndVersion) {
    // SetUp made two rooms; five more.
    std::vector<RoomId> ids = {this->room1_, this->room2_};
    for (int i = 0; i < 5; ++i) ids.push_back(this->rooms().Create("page " + std::to_string(i), FixedTime()).id);
    const auto page_ids = [&](std::optional<RoomId> after, int limit) {
        std::vector<RoomId> out;
        for (const Room& r : this->rooms().ListPage(after, limit)) out.push_back(r.id);
        return out;
    };
    EXPECT_EQ(page_ids(std::nullopt, 3), (std::vector<RoomId>{ids[0], ids[1], ids[2]}));
    EXPECT_EQ(page_ids(ids[2], 3), (std::vector<RoomId>{ids[3], ids[4], ids[5]}));
    EXPECT_EQ(page_ids(ids[5], 3), (std::vector<RoomId>{ids[6]}));
    EXPECT_TRUE(page_ids(ids[6], 3).empty());
    EXPECT_EQ(page_ids(std::nullopt, 100), ids);
    const auto page = this->rooms().ListPage(ids[0], 1);
    ASSERT_EQ(page.size(), 1u);
    EXPECT_EQ(page[0].name, "two");
    EXPECT_EQ(page[0].time_created, FixedTime());

    const RoomListVersion v = this->rooms().Version();
    EXPECT_EQ(v.count, 7);
    EXPECT_EQ(v.max_id, ids.back());
    EXPECT_EQ(this->rooms().Version(), v) << "reading changes nothing";
    const RoomId next = this->rooms().Create("one more", FixedTime()).id;
    EXPECT_EQ(this->rooms().Version(), (RoomListVersion{8, next}));
}

TYPED_TEST_P(StoreContract, Users) {
    auto alice = this->users().Create("alice", "key-alice", "hash-a", FixedTime());
    ASSERT_TRUE(alice.ok());
    EXPECT_GT(alice->id, 0);
    auto dup = this->users().Create("alice", "key-other", "hash-b", FixedTime());
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    auto bob = this->users().Create("Alice", "key-bob", "hash-c", FixedTime());  // nicknames are compared exactly
    ASSERT_TRUE(bob.ok());
    EXPECT_NE(bob->id, alice->id);

    const auto by_id = this->users().FindById(alice->id);
    ASSERT_TRUE(by_id.has_value());
    EXPECT_EQ(by_id->nickname, "alice");
    EXPECT_EQ(by_id->password_hash, "hash-a");
    EXPECT_EQ(by_id->time_created, FixedTime());
    EXPECT_EQ(this->users().FindByNickname("alice")->id, alice->id);
    EXPECT_EQ(this->users().FindByNickname("Alice")->id, bob->id);
    EXPECT_EQ(this->users().FindByKey("key-bob")->id, bob->id);
    EXPECT_FALSE(this->users().FindByKey("key-other").has_value());
    EXPECT_FALSE(this->users().FindByNickname("carol").has_value());
    EXPECT_FALSE(this->users().FindById(9999).has_value());
    // Values travel as parameters: SQL in a nickname is just text.
    const std::string tricky = "x'); DROP TABLE users; --";
    ASSERT_TRUE(this->users().Create(tricky, tricky, "h", FixedTime()).ok());
    EXPECT_EQ(this->users().FindByNickname(tricky)->nickname, tricky);
}

TYPED_TEST_P(StoreContract, NicknameKeysAreUnique) {
    ASSERT_TRUE(this->users().Create("Alice", "alice", "h", FixedTime()).ok());
    auto twin = this->users().Create("alice", "alice", "h", FixedTime());
    ASSERT_FALSE(twin.ok()) << "a second user with the same key";
    EXPECT_EQ(twin.error().code, ErrorCode::kConflict);
    EXPECT_TRUE(this->users().WithoutKey(0, 10).empty()) << "every user created with a key has one";
}

TYPED_TEST_P(StoreContract, UsersOfBeforeKeysAreKeyedOnce) {
    // Users registered before keys existed have none: the backfill lists them by id and sets each once.
    auto first = this->backend_.CreateWithoutKey("Alice");
    auto second = this->backend_.CreateWithoutKey("alice");
    auto third = this->backend_.CreateWithoutKey("bob");
    const auto pending = this->users().WithoutKey(0, 10);
    ASSERT_EQ(pending.size(), 3u);
    EXPECT_EQ(pending[0].id, first);
    EXPECT_EQ(pending[2].id, third);
    EXPECT_EQ(this->users().WithoutKey(first, 1).at(0).id, second) << "after_id and limit page through them";

    EXPECT_TRUE(this->users().SetKey(first, "alice"));
    EXPECT_FALSE(this->users().SetKey(second, "alice")) << "the key is held by the first";
    EXPECT_TRUE(this->users().SetKey(third, "bob"));
    EXPECT_EQ(this->users().FindByKey("alice")->id, first);
    const auto left = this->users().WithoutKey(0, 10);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].id, second);
    EXPECT_EQ(this->users().FindByNickname("alice")->id, second) << "it keeps its name";
}

TYPED_TEST_P(StoreContract, RefreshTokenStates) {
    const auto user = this->users().Create("alice", "alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    RefreshTokenStore& tokens = this->tokens();
    const auto now = FixedTime();
    const TokenHash live = Sha256("live"), old = Sha256("old"), other = Sha256("other");
    tokens.Insert(live, user->id, "fam-1", now + std::chrono::hours(1));
    tokens.Insert(old, user->id, "fam-1", now - std::chrono::seconds(1));
    tokens.Insert(other, user->id, "fam-2", now + std::chrono::hours(1));

    EXPECT_EQ(tokens.Consume(Sha256("unknown"), now).status, ConsumeStatus::kNotFound);
    EXPECT_EQ(tokens.Consume(old, now).status, ConsumeStatus::kExpired);
    EXPECT_EQ(tokens.Consume(old, now).status, ConsumeStatus::kExpired) << "an expired token is not marked used";
    EXPECT_EQ(*tokens.FamilyOf(live), "fam-1");
    EXPECT_FALSE(tokens.FamilyOf(Sha256("unknown")).has_value());

    const auto first = tokens.Consume(live, now);
    EXPECT_EQ(first.status, ConsumeStatus::kOk);
    EXPECT_EQ(first.user_id, user->id);
    EXPECT_EQ(first.family, "fam-1");
    EXPECT_FALSE(first.used_at.has_value());
    const auto second = tokens.Consume(live, now + std::chrono::seconds(3));
    EXPECT_EQ(second.status, ConsumeStatus::kAlreadyUsed);
    EXPECT_EQ(second.family, "fam-1");
    EXPECT_EQ(second.user_id, user->id);
    ASSERT_TRUE(second.used_at.has_value()) << "a spent token tells when it was spent (the reuse grace)";
    EXPECT_EQ(*second.used_at, now) << "the first spend, not the later attempt";

    tokens.RevokeFamily("fam-1");
    tokens.RevokeFamily("fam-1");  // idempotent
    EXPECT_EQ(tokens.Consume(live, now).status, ConsumeStatus::kRevoked);
    EXPECT_EQ(*tokens.FamilyOf(live), "fam-1") << "revoked tokens still tell their family";
    EXPECT_EQ(tokens.Consume(other, now).status, ConsumeStatus::kOk) << "other families are unaffected";
    tokens.RevokeFamily("no-such-family");
}

TYPED_TEST_P(StoreContract, TokenExpiresAtItsInstant) {
    const auto user = this->users().Create("alice", "alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    const TokenHash edge = Sha256("edge");
    this->tokens().Insert(edge, user->id, "fam", FixedTime());
    // Live up to the microsecond before expires_at, expired from expires_at on.
    EXPECT_EQ(this->tokens().Consume(edge, FixedTime()).status, ConsumeStatus::kExpired);
    EXPECT_EQ(this->tokens().Consume(edge, FixedTime() - std::chrono::microseconds(1)).status, ConsumeStatus::kOk);
}

TYPED_TEST_P(StoreContract, OnlyOneConcurrentConsumeWins) {
    const auto user = this->users().Create("alice", "alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    constexpr int kThreads = 8;
    for (int round = 0; round < 5; ++round) {
        const TokenHash hash = Sha256("contested-" + std::to_string(round));
        this->tokens().Insert(hash, user->id, "fam-" + std::to_string(round), FixedTime() + std::chrono::hours(1));
        std::atomic<int> ok{0}, used{0};
        std::barrier start(kThreads);
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            // Half the threads go through a second handle, as a second server instance would.
            RefreshTokenStore* store = i % 2 == 0 ? &this->tokens() : &this->backend_.other_tokens();
            threads.emplace_back([&ok, &used, &start, store, hash] {
                start.arrive_and_wait();
                const auto c = store->Consume(hash, FixedTime());
                if (c.status == ConsumeStatus::kOk) ++ok;
                if (c.status == ConsumeStatus::kAlreadyUsed) ++used;
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(ok.load(), 1) << "round " << round;
        EXPECT_EQ(used.load(), kThreads - 1) << "round " << round;
    }
}

REGISTER_TYPED_TEST_SUITE_P(StoreContract, InsertIsIdempotent, RoundTripsEveryField, PagesNewestFirstWithBefore,
                            OrderIsAcceptanceOrderNotIdOrder, UnknownBeforeIsNotFound, EmptyStore, Rooms,
                            RoomPagesAndVersion, Users, NicknameKeysAreUnique, UsersOfBeforeKeysAreKeyedOnce,
                            RefreshTokenStates, TokenExpiresAtItsInstant, OnlyOneConcurrentConsumeWins);

}  // namespace rooms::contract
