#pragma once

#include <cstdint>
#include <mutex>

#include "domain/types.h"

namespace rooms {

/// Message ids unique across every instance: 41 bits of milliseconds since 2024-01-01, 10 bits of node id,
/// 12 bits of sequence (a Snowflake). Strictly increasing per generator, also across restarts when seeded
/// with the largest id already stored. Thread-safe.
class IdGenerator {
  public:
    explicit IdGenerator(int node_id, MessageId floor = 0);
    MessageId Next();

    static constexpr int kMaxNodeId = 1023;

  private:
    std::mutex mu_;
    const std::int64_t node_id_;
    std::int64_t last_ms_ = 0;
    std::int64_t seq_ = 0;
};

}  // namespace rooms
