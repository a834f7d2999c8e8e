#include "services/chat_session.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "support/fakes.h"
#include "support/recording_tracer.h"
#include "support/simulated_time.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::Ids;
using unit::MakeMessage;

/// A hub member that records what it is given and what it was told to discard.
struct RecordingMember : HubMember {
    std::vector<MessageId> delivered;
    std::unordered_set<MessageId> discarded;
    bool Deliver(const OutboundFrame& frame) override {
        delivered.push_back(frame.message_id);
        return true;
    }
    void Discard(const std::unordered_set<MessageId>& ids) override { discarded = ids; }
};

/// A bus that refuses everything, as Kafka does when the brokers are gone.
struct RefusingBus : MessageBus {
    void Publish(Message, DeliveryHandler done) override { done(Unavailable("the brokers do not answer")); }
};

ChatSettings Settings() {
    ChatSettings s;
    s.history_size = 10;
    s.max_message_bytes = 32;
    return s;
}

class ChatSessionTest : public ::testing::Test {
  protected:
    ChatSessionTest() {
        bus_.Subscribe(&published_);
        bus_.Subscribe(&hub_);
        cache_.Fill(kRoom, {});
    }
    ChatSession Session(RateLimiter& limiter) {
        return ChatSession(ChatSessionDeps{chat_, hub_, limiter, notices_}, kRoom, Principal{7, "alice"}, "0:1");
    }
    static constexpr RoomId kRoom = 3;

    test_support::SimulatedTime time_;
    test_support::FakeMessageStore store_;
    MemoryHistoryCache cache_{10};
    MemoryPresence presence_;
    MemoryBus bus_;
    test_support::RecordingSink published_;
    RoomHub hub_{[](const Message& m) { return m.content; }};
    IdGenerator ids_{1};
    ChatService chat_{bus_, cache_, store_, ids_, nullptr, Settings(), time_};
    RateLimiter unlimited_{0, 1, time_};
    PresenceNotices notices_{chat_, presence_, unlimited_, std::chrono::milliseconds(0), time_};  // no grace
};

TEST_F(ChatSessionTest, EnterJoinsTheFanOutAndDiscardsWhatTheHistoryHolds) {
    cache_.Append(MakeMessage(1, kRoom));
    cache_.Append(MakeMessage(2, kRoom));
    auto member = std::make_shared<RecordingMember>();
    ChatSession session = Session(unlimited_);
    const auto history = session.Enter(member);
    EXPECT_EQ(Ids(history), (std::vector<MessageId>{2, 1}));
    EXPECT_EQ(member->discarded, (std::unordered_set<MessageId>{1, 2}));
    EXPECT_EQ(hub_.MemberCount(kRoom), 1u);
    EXPECT_TRUE(presence_.Online(kRoom).empty()) << "listed only once the history is with the client";
    session.Leave();
    EXPECT_EQ(hub_.MemberCount(kRoom), 0u);
    EXPECT_EQ(published_.Count(), 0u) << "no leave notice without a join";
}

TEST_F(ChatSessionTest, AnnounceListsThePresenceAndPublishesTheJoin) {
    auto member = std::make_shared<RecordingMember>();
    ChatSession session = Session(unlimited_);
    session.Enter(member);
    session.Announce();
    EXPECT_EQ(presence_.Online(kRoom), (std::vector<std::string>{"alice"}));
    ASSERT_EQ(published_.Count(), 1u);
    const Message join = published_.Messages()[0];
    EXPECT_EQ(join.type, MessageType::kJoin);
    EXPECT_EQ(join.content, kJoinedContent);
    EXPECT_EQ(join.nickname, "alice");
    EXPECT_EQ(join.time_created, time_.Now());
    EXPECT_EQ(member->delivered, (std::vector<MessageId>{join.id})) << "the joiner sees its own notice";

    session.Leave();
    EXPECT_TRUE(presence_.Online(kRoom).empty());
    ASSERT_EQ(published_.Count(), 2u);
    EXPECT_EQ(published_.Messages()[1].type, MessageType::kLeave);
    session.Leave();  // idempotent
    EXPECT_EQ(published_.Count(), 2u);
}

TEST_F(ChatSessionTest, SendValidatesThenPublishes) {
    ChatSession session = Session(unlimited_);
    session.Enter(std::make_shared<RecordingMember>());
    int refused = 0;
    auto on_refused = [&](const Error&) { ++refused; };
    EXPECT_EQ(session.Send("hello", on_refused), std::nullopt);
    ASSERT_EQ(published_.Count(), 1u);
    EXPECT_EQ(published_.Messages()[0].content, "hello");
    EXPECT_EQ(published_.Messages()[0].user_id, 7);

    const auto blank = session.Send("   ", on_refused);
    ASSERT_TRUE(blank);
    EXPECT_EQ(blank->code, ErrorCode::kInvalidArgument);
    const auto too_long = session.Send(std::string(33, 'x'), on_refused);
    ASSERT_TRUE(too_long);
    EXPECT_NE(too_long->message.find("32 bytes"), std::string::npos) << too_long->message;
    EXPECT_EQ(published_.Count(), 1u) << "refused messages reach no one";
    EXPECT_EQ(refused, 0);
}

TEST_F(ChatSessionTest, ThePerUserLimitRefusesWithAnErrorFrame) {
    RateLimiter two_at_once(1, 2, time_);
    ChatSession session = Session(two_at_once);
    session.Enter(std::make_shared<RecordingMember>());
    auto ignore = [](const Error&) {};
    EXPECT_EQ(session.Send("one", ignore), std::nullopt);
    EXPECT_EQ(session.Send("two", ignore), std::nullopt);
    const auto third = session.Send("three", ignore);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->message, "message not sent: too many messages, slow down");
    time_.Advance(std::chrono::seconds(1));
    EXPECT_EQ(session.Send("four", ignore), std::nullopt) << "a token back after a second";
    EXPECT_EQ(published_.Count(), 3u);
}

TEST_F(ChatSessionTest, ABusThatRefusesTellsTheSender) {
    RefusingBus refusing;
    ChatService chat(refusing, cache_, store_, ids_, nullptr, Settings(), time_);
    PresenceNotices notices(chat, presence_, unlimited_, std::chrono::milliseconds(0), time_);
    ChatSession session(ChatSessionDeps{chat, hub_, unlimited_, notices}, kRoom, Principal{7, "alice"}, "0:2");
    std::vector<std::string> errors;
    EXPECT_EQ(session.Send("hello", [&](const Error& e) { errors.push_back(e.message); }), std::nullopt);
    EXPECT_EQ(errors, (std::vector<std::string>{"message not sent: the brokers do not answer"}));
}

TEST_F(ChatSessionTest, AMessageIsTracedAsAChildOfTheSocketsSpanAndCarriesItsPublishSpanOn) {
    test_support::RecordingTracer traces;
    ChatSessionDeps deps{chat_, hub_, unlimited_, notices_};
    deps.tracer = traces.tracer.get();
    const auto handshake = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ChatSession session(deps, kRoom, Principal{7, "alice"}, "0:1", *handshake);
    session.Enter(std::make_shared<RecordingMember>());
    auto ignore = [](const Error&) {};
    EXPECT_EQ(session.Send("hello", ignore), std::nullopt);
    EXPECT_TRUE(session.Send("   ", ignore));
    traces.tracer->Shutdown();

    const auto sends = traces.Named("chat.send");
    const auto validates = traces.Named("chat.validate");
    const auto publishes = traces.Named("chat.publish");
    ASSERT_EQ(sends.size(), 2u);
    ASSERT_EQ(validates.size(), 2u);
    ASSERT_EQ(publishes.size(), 1u) << "a refused message is not published";
    for (const SpanData& send : sends) {
        EXPECT_EQ(send.trace_id, handshake->trace_id);
        EXPECT_EQ(send.parent_span_id, handshake->span_id);
    }
    EXPECT_FALSE(sends[0].error);
    EXPECT_EQ(validates[0].parent_span_id, sends[0].span_id);
    EXPECT_EQ(publishes[0].parent_span_id, sends[0].span_id);
    EXPECT_TRUE(sends[1].error);
    EXPECT_TRUE(validates[1].error);
    EXPECT_EQ(validates[1].parent_span_id, sends[1].span_id);
    // The published message goes on from its publish span: the fan-out and the writes are its children.
    ASSERT_EQ(published_.Count(), 1u);
    const TraceContext carried = published_.Messages()[0].trace;
    EXPECT_EQ(carried.trace_id, handshake->trace_id);
    EXPECT_EQ(carried.span_id, publishes[0].span_id);
    EXPECT_TRUE(carried.sampled);
}

TEST_F(ChatSessionTest, WithoutATracerTheSocketsTraceIsStillCarriedOn) {
    const auto handshake = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    ChatSession session(ChatSessionDeps{chat_, hub_, unlimited_, notices_}, kRoom, Principal{7, "alice"}, "0:1",
                        *handshake);
    session.Enter(std::make_shared<RecordingMember>());
    EXPECT_EQ(session.Send("hello", [](const Error&) {}), std::nullopt);
    ASSERT_EQ(published_.Count(), 1u);
    EXPECT_EQ(published_.Messages()[0].trace.ToTraceparent(), handshake->ToTraceparent());
}

}  // namespace
}  // namespace rooms
