#pragma once

#include <array>
#include <atomic>
#include <mutex>
#include <vector>

#include "domain/ports.h"

namespace rooms {

/// The in-process bus of the `all` role. Publish hands the message to every sink synchronously, under a
/// per-room lock (striped), so each room's sinks see its messages in one order: the acceptance order.
class MemoryBus : public MessageBus {
  public:
    /// Sinks are fixed before the first Publish and must outlive the bus.
    void Subscribe(MessageSink* sink) { sinks_.push_back(sink); }
    void Publish(Message message, DeliveryHandler done) override;
    /// Refuses every later Publish with Unavailable (shutdown).
    void Close() { closed_ = true; }

  private:
    static constexpr std::size_t kStripes = 64;
    std::vector<MessageSink*> sinks_;
    std::array<std::mutex, kStripes> stripes_;
    std::atomic<bool> closed_{false};
};

}  // namespace rooms
