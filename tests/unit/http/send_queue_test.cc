#include "http/send_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace rooms {
namespace {

OutboundFrame Frame(MessageId id, std::string text = "") {
    return {std::make_shared<const std::string>(text.empty() ? "frame " + std::to_string(id) : text), id};
}

std::vector<MessageId> Ids(const std::vector<OutboundFrame>& frames) {
    std::vector<MessageId> ids;
    for (const auto& f : frames) ids.push_back(f.message_id);
    return ids;
}

TEST(SendQueueTest, FifoAndWriterWakeups) {
    SendQueue q(10);
    // The writer starts busy (it sends the history frame first), so the first pushes need no wake-up.
    EXPECT_EQ(q.Push(Frame(1)), SendQueue::PushResult::kQueued);
    EXPECT_EQ(q.Push(Frame(2)), SendQueue::PushResult::kQueued);
    EXPECT_EQ(q.size(), 2u);
    EXPECT_EQ(q.Pop()->message_id, 1);
    EXPECT_EQ(q.Pop()->message_id, 2);
    EXPECT_FALSE(q.Pop().has_value());                                // the writer goes idle...
    EXPECT_EQ(q.Push(Frame(3)), SendQueue::PushResult::kWakeWriter);  // ...so the next push wakes it
    EXPECT_EQ(q.Push(Frame(4)), SendQueue::PushResult::kQueued);      // once
    EXPECT_EQ(q.Pop()->message_id, 3);
    EXPECT_EQ(q.Pop()->message_id, 4);
    EXPECT_FALSE(q.closed());
    EXPECT_FALSE(q.overflowed());
}

TEST(SendQueueTest, OverflowClosesAndEmpties) {
    SendQueue q(3);
    for (int i = 1; i <= 3; ++i) EXPECT_NE(q.Push(Frame(i)), SendQueue::PushResult::kOverflow);
    EXPECT_EQ(q.Push(Frame(4)), SendQueue::PushResult::kOverflow);
    EXPECT_TRUE(q.closed());
    EXPECT_TRUE(q.overflowed());
    EXPECT_EQ(q.size(), 0u);
    EXPECT_FALSE(q.Pop().has_value());
    EXPECT_EQ(q.Push(Frame(5)), SendQueue::PushResult::kClosed);
}

TEST(SendQueueTest, CloseDropsEverything) {
    SendQueue q(10);
    q.Push(Frame(1));
    q.Close();
    EXPECT_TRUE(q.closed());
    EXPECT_FALSE(q.overflowed());
    EXPECT_FALSE(q.Pop().has_value());
    EXPECT_EQ(q.Push(Frame(2)), SendQueue::PushResult::kClosed);
    EXPECT_EQ(q.size(), 0u);
}

TEST(SendQueueTest, DiscardDropsOnlyListedMessages) {
    SendQueue q(10);
    q.Push(Frame(0, "error frame"));  // id 0: not a room message, never discarded
    for (int i = 1; i <= 5; ++i) q.Push(Frame(i));
    q.Discard({2, 4, 0, 99});
    std::vector<MessageId> left;
    while (auto f = q.Pop()) left.push_back(f->message_id);
    EXPECT_EQ(left, (std::vector<MessageId>{0, 1, 3, 5}));
}

TEST(SendQueueTest, TakeAllTakesEverythingInOrderUnderOneLock) {
    SendQueue q(10);
    for (int i = 1; i <= 4; ++i) q.Push(Frame(i));
    EXPECT_EQ(q.Pop()->message_id, 1);  // a Pop before does not disturb the order
    std::vector<OutboundFrame> batch;
    ASSERT_TRUE(q.TakeAll(batch));
    EXPECT_EQ(Ids(batch), (std::vector<MessageId>{2, 3, 4}));
    EXPECT_EQ(q.size(), 0u);
    // The queue keeps working after: more frames, taken whole, appended behind what the caller holds.
    q.Push(Frame(5));
    q.Push(Frame(6));
    ASSERT_TRUE(q.TakeAll(batch));
    EXPECT_EQ(Ids(batch), (std::vector<MessageId>{2, 3, 4, 5, 6}));
}

TEST(SendQueueTest, AnEmptyTakeAllMarksTheWriterIdle) {
    SendQueue q(10);
    std::vector<OutboundFrame> batch;
    EXPECT_FALSE(q.TakeAll(batch));
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(q.Push(Frame(1)), SendQueue::PushResult::kWakeWriter);
    EXPECT_EQ(q.Push(Frame(2)), SendQueue::PushResult::kQueued);
    ASSERT_TRUE(q.TakeAll(batch));
    EXPECT_EQ(q.Push(Frame(3)), SendQueue::PushResult::kQueued);  // the writer is busy with the batch
}

TEST(SendQueueTest, TakeAllAfterCloseTakesNothing) {
    SendQueue q(10);
    q.Push(Frame(1));
    q.Close();
    std::vector<OutboundFrame> batch;
    EXPECT_FALSE(q.TakeAll(batch));
    EXPECT_TRUE(batch.empty());
}

TEST(SendQueueTest, CapacityCountsOnlyWhatIsQueued) {
    SendQueue q(3);
    for (int i = 1; i <= 3; ++i) q.Push(Frame(i));
    EXPECT_EQ(q.Pop()->message_id, 1);  // one slot free again
    EXPECT_NE(q.Push(Frame(4)), SendQueue::PushResult::kOverflow);
    EXPECT_EQ(q.Push(Frame(5)), SendQueue::PushResult::kOverflow);
}

TEST(SendQueueTest, DiscardAfterAPopKeepsTheOrder) {
    SendQueue q(10);
    for (int i = 1; i <= 5; ++i) q.Push(Frame(i));
    EXPECT_EQ(q.Pop()->message_id, 1);
    q.Discard({1, 3});  // 1 has gone already
    std::vector<OutboundFrame> batch;
    ASSERT_TRUE(q.TakeAll(batch));
    EXPECT_EQ(Ids(batch), (std::vector<MessageId>{2, 4, 5}));
}

}  // namespace
}  // namespace rooms
