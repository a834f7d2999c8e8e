#include "common/id_generator.h"

#include <stdexcept>

namespace rooms {

namespace {
constexpr std::int64_t kEpochMs = 1704067200000;  // 2024-01-01T00:00:00Z
constexpr int kSeqBits = 12;
constexpr int kNodeBits = 10;
}  // namespace

IdGenerator::IdGenerator(int node_id, MessageId floor) : node_id_(node_id) {
    if (node_id < 0 || node_id > kMaxNodeId) throw std::invalid_argument("node_id must be 0..1023");
    // Never hand out an id at or below `floor` (the largest stored), even if the clock went back.
    last_ms_ = floor >> (kSeqBits + kNodeBits);
    seq_ = (1 << kSeqBits) - 1;  // forces the next id into the following millisecond of `floor`
    if (floor == 0) last_ms_ = 0, seq_ = 0;
}

MessageId IdGenerator::Next() {
    std::lock_guard lock(mu_);
    const std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count() - kEpochMs;
    if (now_ms > last_ms_) {
        last_ms_ = now_ms;
        seq_ = 0;
    } else if (++seq_ >= (1 << kSeqBits)) {
        // Sequence exhausted in this millisecond (or the clock went back): borrow the next millisecond.
        ++last_ms_;
        seq_ = 0;
    }
    return (last_ms_ << (kSeqBits + kNodeBits)) | (node_id_ << kSeqBits) | seq_;
}

}  // namespace rooms
