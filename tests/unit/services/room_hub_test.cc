#include "services/room_hub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "http/json_codec.h"
#include "http/send_queue.h"
#include "support/recording_tracer.h"
#include "support/simulated_time.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::MakeMessage;
using namespace std::chrono_literals;

// --- RoomHub -------------------------------------------------------------------------------------------

/// A hub member backed by a SendQueue, like WebSocketSession: on overflow it closes itself and reports false.
class QueueMember : public HubMember {
  public:
    explicit QueueMember(std::size_t capacity) : queue_(capacity) {}
    void Discard(const std::unordered_set<MessageId>& ids) override { queue_.Discard(ids); }

    bool Deliver(const OutboundFrame& frame) override {
        bool ok = false;
        switch (queue_.Push(frame)) {
            case SendQueue::PushResult::kQueued:
            case SendQueue::PushResult::kWakeWriter:
                ok = true;
                break;
            case SendQueue::PushResult::kOverflow:
                queue_.Close();
                break;
            case SendQueue::PushResult::kClosed:
                break;
        }
        std::lock_guard lock(mu_);
        results_.push_back(ok);
        return ok;
    }

    /// What the connection's writer would send next, in order.
    std::vector<OutboundFrame> Drain() {
        std::vector<OutboundFrame> out;
        while (auto f = queue_.Pop()) out.push_back(std::move(*f));
        return out;
    }

    std::vector<bool> results() {
        std::lock_guard lock(mu_);
        return results_;
    }
    SendQueue& queue() { return queue_; }

  private:
    SendQueue queue_;
    std::mutex mu_;
    std::vector<bool> results_;
};

std::vector<MessageId> Ids(const std::vector<OutboundFrame>& frames) {
    std::vector<MessageId> ids;
    for (const auto& f : frames) {
        // The id travels twice: in the frame (for Discard) and in the JSON (for the client). They must agree.
        const auto obj = boost::json::parse(*f.data).as_object();
        EXPECT_EQ(obj.at("id").as_string(), std::to_string(f.message_id));
        ids.push_back(f.message_id);
    }
    return ids;
}

std::vector<MessageId> Range(MessageId first, MessageId last) {
    std::vector<MessageId> out;
    for (MessageId i = first; i <= last; ++i) out.push_back(i);
    return out;
}

TEST(RoomHubTest, FansOutInOrderToEveryMemberOfTheRoom) {
    RoomHub hub(SerializeMessage);
    std::vector<std::shared_ptr<QueueMember>> members;
    for (int i = 0; i < 3; ++i) {
        members.push_back(std::make_shared<QueueMember>(1000));
        hub.Join(1, members.back());
    }
    auto elsewhere = std::make_shared<QueueMember>(1000);
    hub.Join(2, elsewhere);
    EXPECT_EQ(hub.MemberCount(1), 3u);
    EXPECT_EQ(hub.MemberCount(2), 1u);
    EXPECT_EQ(hub.MemberCount(3), 0u);

    for (MessageId id = 1; id <= 200; ++id) hub.OnMessage(MakeMessage(id, 1));

    for (auto& m : members) EXPECT_EQ(Ids(m->Drain()), Range(1, 200));
    EXPECT_TRUE(elsewhere->Drain().empty());
    EXPECT_EQ(hub.delivered(), 600u);
}

TEST(RoomHubTest, FrameIsTheSerializedMessage) {
    RoomHub hub(SerializeMessage);
    auto member = std::make_shared<QueueMember>(10);
    hub.Join(5, member);
    hub.OnMessage(MakeMessage(77, 5, "hello \"world\" 日本", "Zoë", 9, MessageType::kJoin));
    const auto frames = member->Drain();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].message_id, 77);
    const auto obj = boost::json::parse(*frames[0].data).as_object();
    EXPECT_EQ(obj.at("id").as_string(), "77");
    EXPECT_EQ(obj.at("room_id").as_string(), "5");
    EXPECT_EQ(obj.at("user_id").as_string(), "9");
    EXPECT_EQ(obj.at("nickname").as_string(), "Zoë");
    EXPECT_EQ(obj.at("content").as_string(), "hello \"world\" 日本");
    EXPECT_EQ(obj.at("type").as_string(), "join");
    EXPECT_EQ(obj.at("time_created").as_string(), "2026-11-29T02:31:00.123533Z");
}

TEST(RoomHubTest, OneBufferIsSharedByAllRecipients) {
    RoomHub hub(SerializeMessage);
    std::vector<std::shared_ptr<QueueMember>> members;
    for (int i = 0; i < 4; ++i) {
        members.push_back(std::make_shared<QueueMember>(10));
        hub.Join(1, members.back());
    }
    hub.OnMessage(MakeMessage(1, 1));
    std::vector<OutboundFrame> frames;
    for (auto& m : members) {
        auto f = m->Drain();
        ASSERT_EQ(f.size(), 1u);
        frames.push_back(f[0]);
    }
    for (const auto& f : frames) {
        EXPECT_EQ(f.data.get(), frames[0].data.get()) << "each recipient got its own copy";
        EXPECT_EQ(f.data, frames[0].data);
    }
    EXPECT_EQ(frames[0].data.use_count(), 4);  // only the four popped frames still hold it
}

TEST(RoomHubTest, SlowMemberIsDroppedWhileOthersGetEverything) {
    RoomHub hub(SerializeMessage);
    auto fast1 = std::make_shared<QueueMember>(4);
    auto slow = std::make_shared<QueueMember>(5);
    auto fast2 = std::make_shared<QueueMember>(4);
    hub.Join(1, fast1);
    hub.Join(1, slow);
    hub.Join(1, fast2);

    std::vector<MessageId> got1, got2;
    for (MessageId id = 1; id <= 50; ++id) {
        hub.OnMessage(MakeMessage(id, 1));
        // The fast members' writers keep up; the slow one never reads.
        for (auto id1 : Ids(fast1->Drain())) got1.push_back(id1);
        for (auto id2 : Ids(fast2->Drain())) got2.push_back(id2);
    }
    EXPECT_EQ(got1, Range(1, 50));
    EXPECT_EQ(got2, Range(1, 50));

    const auto results = slow->results();
    ASSERT_EQ(results.size(), 50u);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_TRUE(results[i]) << i;
    for (std::size_t i = 5; i < results.size(); ++i) EXPECT_FALSE(results[i]) << i;  // overflow, then closed
    EXPECT_TRUE(slow->queue().overflowed());
    EXPECT_TRUE(slow->queue().closed());
    EXPECT_TRUE(slow->Drain().empty());
    for (bool ok : fast1->results()) EXPECT_TRUE(ok);
    EXPECT_EQ(hub.delivered(), 50u * 2 + 5);
}

TEST(RoomHubTest, LeaveStopsDelivery) {
    RoomHub hub(SerializeMessage);
    auto a = std::make_shared<QueueMember>(10);
    auto b = std::make_shared<QueueMember>(10);
    hub.Join(1, a);
    hub.Join(1, b);
    hub.OnMessage(MakeMessage(1, 1));
    hub.Leave(1, a.get());
    EXPECT_EQ(hub.MemberCount(1), 1u);
    hub.OnMessage(MakeMessage(2, 1));
    EXPECT_EQ(Ids(a->Drain()), (std::vector<MessageId>{1}));
    EXPECT_EQ(Ids(b->Drain()), (std::vector<MessageId>{1, 2}));

    hub.Leave(1, a.get());  // twice: no effect
    hub.Leave(9, b.get());  // unknown room: no effect
    EXPECT_EQ(hub.MemberCount(1), 1u);
    hub.Leave(1, b.get());
    EXPECT_EQ(hub.MemberCount(1), 0u);
    hub.OnMessage(MakeMessage(3, 1));  // nobody left: nothing happens
    EXPECT_TRUE(b->Drain().empty());
    EXPECT_EQ(hub.delivered(), 3u);

    // Members are kept alive by the hub while they are in it and released on Leave.
    auto c = std::make_shared<QueueMember>(10);
    std::weak_ptr<QueueMember> weak = c;
    hub.Join(4, c);
    c.reset();
    EXPECT_FALSE(weak.expired());
    hub.Leave(4, weak.lock().get());
    EXPECT_TRUE(weak.expired());
}

TEST(RoomHubTest, ConcurrentRoomsJoinsAndLeaves) {
    constexpr int kRooms = 4;
    constexpr int kMessages = 2000;
    RoomHub hub(SerializeMessage);
    std::vector<std::vector<std::shared_ptr<QueueMember>>> members(kRooms + 1);
    for (int room = 1; room <= kRooms; ++room)
        for (int i = 0; i < 2; ++i) {
            members[room].push_back(std::make_shared<QueueMember>(kMessages));
            hub.Join(room, members[room].back());
        }

    std::atomic<int> producers_left{kRooms};
    std::vector<std::thread> threads;
    for (int room = 1; room <= kRooms; ++room)
        threads.emplace_back([&hub, &producers_left, room] {
            for (MessageId i = 1; i <= kMessages; ++i) hub.OnMessage(MakeMessage(room * 100000 + i, room));
            --producers_left;
        });
    // Connections come and go meanwhile; each sees an in-order slice of its room.
    std::vector<std::shared_ptr<QueueMember>> transient;
    threads.emplace_back([&] {
        int n = 0;
        while (producers_left.load() > 0 || n < 10) {
            const RoomId room = 1 + n % kRooms;
            auto m = std::make_shared<QueueMember>(kMessages);
            hub.Join(room, m);
            std::this_thread::yield();
            hub.Leave(room, m.get());
            transient.push_back(std::move(m));
            ++n;
        }
    });
    // A reader per room drains one member concurrently with the producers, as the writer coroutine does.
    std::vector<std::vector<MessageId>> read(kRooms + 1);
    for (int room = 1; room <= kRooms; ++room)
        threads.emplace_back([&, room] {
            while (read[room].size() < static_cast<std::size_t>(kMessages)) {
                for (auto id : Ids(members[room][0]->Drain())) read[room].push_back(id);
                std::this_thread::yield();
            }
        });
    for (auto& t : threads) t.join();

    for (int room = 1; room <= kRooms; ++room) {
        SCOPED_TRACE(room);
        const auto expected = Range(room * 100000 + 1, room * 100000 + kMessages);
        EXPECT_EQ(read[room], expected);
        EXPECT_EQ(Ids(members[room][1]->Drain()), expected);
        EXPECT_EQ(hub.MemberCount(room), 2u);
    }
    for (auto& m : transient) {
        const auto ids = Ids(m->Drain());
        EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
        EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    }
    EXPECT_GE(hub.delivered(), static_cast<std::uint64_t>(kRooms) * kMessages * 2);
}

/// A member whose writer is a thread of its own, as WebSocketSession's writer coroutine: it sleeps whenever
/// its queue is empty and is woken only when a Push answers kWakeWriter. A lost wake-up leaves it asleep
/// with frames queued; it then fails at a deadline far beyond any run instead of hanging the test.
class WriterThreadMember : public HubMember {
  public:
    explicit WriterThreadMember(std::size_t expected) : expected_(expected), queue_(expected) {}
    void Discard(const std::unordered_set<MessageId>& ids) override { queue_.Discard(ids); }

    bool Deliver(const OutboundFrame& frame) override {
        switch (queue_.Push(frame)) {
            case SendQueue::PushResult::kQueued:
                return true;
            case SendQueue::PushResult::kWakeWriter: {
                std::lock_guard lock(mu_);
                ++wakes_;
                wake_.notify_one();
                return true;
            }
            case SendQueue::PushResult::kOverflow:
            case SendQueue::PushResult::kClosed:
                break;
        }
        return false;
    }

    /// The writer's loop, on its own thread: takes frames until `expected` arrived.
    void RunWriter() {
        std::uint64_t wakes_taken = 0;
        for (;;) {
            while (auto f = queue_.Pop()) sent_.push_back(std::move(*f));  // the empty Pop marks it idle
            if (sent_.size() >= expected_) return;
            std::unique_lock lock(mu_);
            ++sleeps_;
            if (!wake_.wait_for(lock, 120s, [&] { return wakes_ > wakes_taken; })) {
                ADD_FAILURE() << "the writer was never woken; " << sent_.size() << " of " << expected_ << " sent";
                return;
            }
            ++wakes_taken;
        }
    }

    /// After the writer's thread has been joined.
    const std::vector<OutboundFrame>& sent() const { return sent_; }
    std::uint64_t wakes() const { return wakes_; }
    std::uint64_t sleeps() const { return sleeps_; }

  private:
    const std::size_t expected_;
    SendQueue queue_;
    std::vector<OutboundFrame> sent_;  // the writer's thread only
    std::mutex mu_;
    std::condition_variable wake_;
    std::uint64_t wakes_ = 0;   // Pushes that answered kWakeWriter
    std::uint64_t sleeps_ = 0;  // times the writer waited for one
};

// The `all` role's fan-out with everything at once, for ThreadSanitizer as much as for the counts:
// publishers on several threads go through the in-process bus (rooms 1 and 65 share a bus stripe, room 2
// has its own) into the hub; each steady member's writer is a thread woken as the session's is; a connection
// joins and leaves meanwhile. Exact counts, no timing.
TEST(RoomHubTest, BusPublishersWritersJoinsAndLeavesAllAtOnce) {
    constexpr RoomId kRooms[] = {1, 2, 65};
    constexpr int kPublishersPerRoom = 2;
    constexpr int kPerPublisher = 500;
    constexpr std::size_t kPerRoom = kPublishersPerRoom * kPerPublisher;
    constexpr std::size_t kSteadyPerRoom = 2;
    const auto id_of = [](RoomId room, int publisher, int i) -> MessageId {
        return room * 1'000'000 + publisher * 10'000 + i;
    };
    const auto publisher_of = [](MessageId id) { return static_cast<int>(id % 1'000'000 / 10'000); };

    MemoryBus bus;
    RoomHub hub(SerializeMessage);
    bus.Subscribe(&hub);
    std::map<RoomId, std::vector<std::shared_ptr<WriterThreadMember>>> steady;
    for (RoomId room : kRooms)
        for (std::size_t i = 0; i < kSteadyPerRoom; ++i) {
            steady[room].push_back(std::make_shared<WriterThreadMember>(kPerRoom));
            hub.Join(room, steady[room].back());
        }

    std::vector<std::thread> threads;
    for (auto& [room, members] : steady)
        for (auto& m : members) threads.emplace_back([m] { m->RunWriter(); });

    std::atomic<std::size_t> accepted{0};
    std::atomic<int> publishers_left{static_cast<int>(std::size(kRooms)) * kPublishersPerRoom};
    for (RoomId room : kRooms)
        for (int p = 0; p < kPublishersPerRoom; ++p)
            threads.emplace_back([&, room, p] {
                for (int i = 1; i <= kPerPublisher; ++i)
                    bus.Publish(MakeMessage(id_of(room, p, i), room), [&](std::optional<Error> err) {
                        EXPECT_FALSE(err.has_value());
                        if (!err) ++accepted;
                    });
                --publishers_left;
            });

    // A connection joins and leaves, over and over until the publishers are done; while it is in, its room has
    // exactly one member more (nobody else joins or leaves).
    std::vector<std::pair<RoomId, std::shared_ptr<QueueMember>>> transient;
    threads.emplace_back([&] {
        for (std::size_t n = 0; publishers_left.load() > 0 || n < 30; ++n) {
            const RoomId room = kRooms[n % std::size(kRooms)];
            auto m = std::make_shared<QueueMember>(kPerRoom);
            hub.Join(room, m);
            EXPECT_EQ(hub.MemberCount(room), kSteadyPerRoom + 1);
            std::this_thread::yield();
            hub.Leave(room, m.get());
            EXPECT_EQ(hub.MemberCount(room), kSteadyPerRoom);
            transient.emplace_back(room, std::move(m));
        }
    });
    for (auto& t : threads) t.join();

    EXPECT_EQ(accepted.load(), std::size(kRooms) * kPerRoom);
    std::uint64_t delivered = 0;
    std::map<RoomId, std::vector<MessageId>> order;
    for (const auto& [room, members] : steady) {
        SCOPED_TRACE(room);
        order[room] = Ids(members[0]->sent());
        ASSERT_EQ(order[room].size(), kPerRoom);
        for (const auto& m : members) {
            EXPECT_EQ(Ids(m->sent()), order[room]) << "the members of one room saw different orders";
            EXPECT_EQ(m->wakes(), m->sleeps()) << "each sleep ends with exactly one wake-up, none is wasted";
            delivered += m->sent().size();
        }
        for (int p = 0; p < kPublishersPerRoom; ++p) {
            std::vector<MessageId> published;
            for (MessageId id : order[room])
                if (publisher_of(id) == p) published.push_back(id);
            EXPECT_EQ(published, Range(id_of(room, p, 1), id_of(room, p, kPerPublisher))) << "publisher " << p;
        }
        EXPECT_EQ(hub.MemberCount(room), kSteadyPerRoom);
    }
    // Joining and leaving are atomic with respect to a fan-out: a transient member got an unbroken run of its
    // room's order.
    for (const auto& [room, m] : transient) {
        const auto ids = Ids(m->Drain());
        delivered += ids.size();
        if (ids.empty()) continue;
        const auto& all = order[room];
        const auto start = std::find(all.begin(), all.end(), ids.front());
        ASSERT_LE(ids.size(), static_cast<std::size_t>(all.end() - start)) << "room " << room;
        EXPECT_TRUE(std::equal(ids.begin(), ids.end(), start)) << "room " << room;
    }
    EXPECT_EQ(hub.delivered(), delivered);
}

TEST(RoomHubTest, ASampledMessageGetsAFanOutSpanUnderItsPublishSpan) {
    test_support::RecordingTracer traces;
    test_support::SimulatedTime time;
    Metrics metrics;
    RoomHub hub(SerializeMessage, metrics.AddHistogram("t_delivery_seconds", "", {0.1}), time, traces.tracer.get());
    auto member = std::make_shared<QueueMember>(1000);
    hub.Join(1, member);
    const auto publish = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    Message traced = MakeMessage(1, 1);
    traced.trace = *publish;
    hub.OnMessage(traced);
    Message elsewhere = MakeMessage(2, 9);  // no member here: still a span (this gateway saw it)
    elsewhere.trace = *publish;
    hub.OnMessage(elsewhere);
    hub.OnMessage(MakeMessage(3, 1));  // no trace: no span
    Message unsampled = MakeMessage(4, 1);
    unsampled.trace = *TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    hub.OnMessage(unsampled);
    traces.tracer->Shutdown();

    EXPECT_EQ(Ids(member->Drain()), (std::vector<MessageId>{1, 3, 4}));
    const auto spans = traces.Named("chat.fanout");
    ASSERT_EQ(spans.size(), 2u);
    for (const SpanData& span : spans) {
        EXPECT_EQ(span.trace_id, publish->trace_id);
        EXPECT_EQ(span.parent_span_id, publish->span_id);
        EXPECT_EQ(span.kind, SpanKind::kConsumer);
    }
}

}  // namespace
}  // namespace rooms
