#include "adapters/kafka/kafka_admin.h"
#include "kafka_test_util.h"

namespace rooms::kafka::testing {
namespace {

class KafkaAdminTest : public KafkaTest {};

TEST_F(KafkaAdminTest, CreateTopicIsIdempotent) {
    std::string topic = UniqueName("create");
    Result<TopicCreation> first = CreateTopic(brokers_, topic, 6, 15s);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(*first, TopicCreation::kCreated);

    Result<TopicCreation> again = CreateTopic(brokers_, topic, 6, 15s);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, TopicCreation::kAlreadyExisted);

    // A different partition count does not change an existing topic, and is not an error either.
    Result<TopicCreation> other = CreateTopic(brokers_, topic, 3, 15s);
    ASSERT_TRUE(other.ok()) << other.error().message;
    EXPECT_EQ(*other, TopicCreation::kAlreadyExisted);

    Result<int> partitions = PartitionCount(brokers_, topic, 10s);
    ASSERT_TRUE(partitions.ok()) << partitions.error().message;
    EXPECT_EQ(*partitions, 6);
    DeleteTopic(brokers_, topic);
}

TEST_F(KafkaAdminTest, PartitionCountOfAMissingTopicIsNotFound) {
    Result<int> partitions = PartitionCount(brokers_, UniqueName("missing"), 10s);
    ASSERT_FALSE(partitions.ok());
    EXPECT_EQ(partitions.error().code, ErrorCode::kNotFound) << partitions.error().message;
}

TEST_F(KafkaAdminTest, InvalidRequestsAreErrors) {
    Result<TopicCreation> zero = CreateTopic(brokers_, UniqueName("zero"), 0, 5s);
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);

    Result<TopicCreation> bad_name = CreateTopic(brokers_, "bad name with spaces", 1, 5s);
    ASSERT_FALSE(bad_name.ok());
    EXPECT_EQ(bad_name.error().code, ErrorCode::kInvalidArgument) << bad_name.error().message;
}

TEST(KafkaAdminDeadBroker, CreateTopicFailsWithinItsTimeout) {
    auto start = std::chrono::steady_clock::now();
    Result<TopicCreation> created = CreateTopic("127.0.0.1:1", "never", 6, 2s);
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().code, ErrorCode::kUnavailable) << created.error().message;
    EXPECT_LT(elapsed, 5s);
}

}  // namespace
}  // namespace rooms::kafka::testing
