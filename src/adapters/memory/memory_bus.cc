#include "adapters/memory/memory_bus.h"

namespace rooms {

void MemoryBus::Publish(Message message, DeliveryHandler done) {
    if (closed_) {
        done(Unavailable("server is shutting down"));
        return;
    }
    {
        std::lock_guard lock(stripes_[static_cast<std::size_t>(message.room_id) % kStripes]);
        for (MessageSink* sink : sinks_) sink->OnMessage(message);
    }
    done(std::nullopt);
}

}  // namespace rooms
