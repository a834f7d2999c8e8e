#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/ports.h"
#include "domain/time_source.h"
#include "metrics/metrics.h"
#include "tracing/tracer.h"

namespace rooms {

/// One frame to send: the serialized message, shared by every recipient, and its id (0 for frames that are not
/// room messages, such as error frames).
struct OutboundFrame {
    std::shared_ptr<const std::string> data;
    MessageId message_id = 0;
};

/// A connection as the hub sees it.
class HubMember {
  public:
    virtual ~HubMember() = default;
    /// Queues a frame; must not block. False when the member is gone or has just overflowed its queue (it then
    /// closes itself).
    virtual bool Deliver(const OutboundFrame& frame) = 0;
    /// Drops queued frames of these messages (they were sent in the history frame already).
    virtual void Discard(const std::unordered_set<MessageId>& ids) = 0;
};

/// The room's wire form of a message, made once per message for every member (http/json_codec.h's
/// SerializeMessage in the gateway).
using FrameEncoder = std::function<std::string(const Message&)>;

/// The local connections of each room, and the fan-out to them (Centrifuge's hub). As a MessageSink it fans every
/// accepted message out: encoded once, the one buffer shared by all recipients. Delivery only queues, so nobody
/// waits for a slow member. The bus calls OnMessage in acceptance order per room, so every member sees one
/// order. Thread-safe.
class RoomHub : public MessageSink {
  public:
    explicit RoomHub(FrameEncoder encode) : encode_(std::move(encode)) {}
    /// Also observes, for every message with members here, the time from its acceptance (time_created, by `time`)
    /// to its fan-out to them: rooms_chat_delivery_duration_seconds.
    /// With a tracer, each message whose trace is sampled gets a `chat.fanout` span here (a child of the span that
    /// published it), also when this gateway has no member in its room.
    RoomHub(FrameEncoder encode, Histogram delivery, const TimeSource& time, Tracer* tracer = nullptr)
        : encode_(std::move(encode)), delivery_(delivery), time_(&time), tracer_(tracer) {}

    void Join(RoomId room, std::shared_ptr<HubMember> member);
    void Leave(RoomId room, const HubMember* member);
    void OnMessage(const Message& message) override;

    std::size_t MemberCount(RoomId room) const;
    std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

  private:
    const FrameEncoder encode_;
    const Histogram delivery_;
    const TimeSource* const time_ = nullptr;
    Tracer* const tracer_ = nullptr;
    mutable std::shared_mutex mu_;
    std::unordered_map<RoomId, std::vector<std::shared_ptr<HubMember>>> rooms_;
    std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace rooms
