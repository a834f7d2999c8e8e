#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "domain/types.h"
#include "services/room_hub.h"

namespace rooms {

/// The bounded queue between the hub (many producer threads) and a connection's single writer.
/// When full, the connection is given up: the queue closes and reports overflow, so a slow reader costs
/// the others nothing. Thread-safe.
class SendQueue {
  public:
    explicit SendQueue(std::size_t capacity) : capacity_(capacity) {}

    enum class PushResult {
        kQueued,      // the writer is busy and will find it
        kWakeWriter,  // the writer is idle: wake it
        kOverflow,    // the queue was full: it is now closed and emptied
        kClosed,      // closed earlier: dropped
    };
    PushResult Push(OutboundFrame frame);

    /// The next frame, or nullopt when empty; an empty Pop marks the writer idle, so the next Push
    /// answers kWakeWriter.
    std::optional<OutboundFrame> Pop();
    /// Moves every queued frame, in order, to the end of `out` (one lock for the lot, so the writer can send them in
    /// one write); when there is none, marks the writer idle like an empty Pop. False when nothing was moved.
    bool TakeAll(std::vector<OutboundFrame>& out);

    /// Drops queued frames whose message id is in `ids` (already sent in the history frame).
    void Discard(const std::unordered_set<MessageId>& ids);

    /// Closes and empties the queue; later pushes are dropped.
    void Close();
    bool closed() const;
    bool overflowed() const;
    std::size_t size() const;

  private:
    void Clear();  // under mu_

    const std::size_t capacity_;
    mutable std::mutex mu_;
    // frames_[head_..] are queued. A vector, not a deque: an idle connection's empty queue allocates nothing.
    std::vector<OutboundFrame> frames_;
    std::size_t head_ = 0;
    bool writer_idle_ = false;  // the writer starts after the history frame and pops first
    bool closed_ = false;
    bool overflowed_ = false;
};

}  // namespace rooms
