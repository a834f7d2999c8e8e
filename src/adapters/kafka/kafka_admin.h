#pragma once

#include <chrono>
#include <string>

#include "domain/error.h"

namespace rooms::kafka {

enum class TopicCreation { kCreated, kAlreadyExisted };

/// Creates `topic` with `partitions` partitions through the admin API (the broker's default replication
/// factor), then waits until every partition's leader serves it, so a fan-out or a producer can use it at once.
/// A topic that exists already is success (kAlreadyExisted), whatever its partition count. Unavailable when the
/// brokers do not answer (or the partitions do not become ready) within `timeout`, InvalidArgument when the
/// broker refuses the request. Blocks up to a few times `timeout`; thread-safe (uses its own short-lived client).
Result<TopicCreation> CreateTopic(const std::string& brokers, const std::string& topic, int partitions,
                                  std::chrono::milliseconds timeout);

/// The partition count of `topic` from the brokers' metadata; NotFound when it does not exist, Unavailable when
/// the brokers do not answer within `timeout`. Blocks up to `timeout`; thread-safe.
Result<int> PartitionCount(const std::string& brokers, const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace rooms::kafka
