#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "domain/ports.h"
#include "http/send_queue.h"

namespace rooms {

/// A connection as the hub sees it.
class HubMember {
  public:
    virtual ~HubMember() = default;
    /// Queues a frame; must not block. False when the member is gone or has just overflowed its queue
    /// (it then closes itself).
    virtual bool Deliver(const OutboundFrame& frame) = 0;
};

/// The local connections of each room. As a MessageSink it fans every accepted message out to them:
/// serialized once, the one buffer shared by all recipients. Delivery only queues, so nobody waits for a
/// slow member. The bus calls OnMessage in acceptance order per room, so every member sees one order.
/// Thread-safe.
class RoomHub : public MessageSink {
  public:
    void Join(RoomId room, std::shared_ptr<HubMember> member);
    void Leave(RoomId room, const HubMember* member);
    void OnMessage(const Message& message) override;

    std::size_t MemberCount(RoomId room) const;
    std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

  private:
    mutable std::shared_mutex mu_;
    std::unordered_map<RoomId, std::vector<std::shared_ptr<HubMember>>> rooms_;
    std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace rooms
