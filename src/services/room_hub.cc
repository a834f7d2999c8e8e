#include "services/room_hub.h"

#include <algorithm>
#include <mutex>

namespace rooms {

void RoomHub::Join(RoomId room, std::shared_ptr<HubMember> member) {
    std::unique_lock lock(mu_);
    rooms_[room].push_back(std::move(member));
}

void RoomHub::Leave(RoomId room, const HubMember* member) {
    std::unique_lock lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    std::erase_if(it->second, [&](const auto& m) { return m.get() == member; });
    if (it->second.empty()) rooms_.erase(it);
}

void RoomHub::OnMessage(const Message& message) {
    Span span = tracer_ && message.trace.sampled ? tracer_->StartSpan("chat.fanout", SpanKind::kConsumer, message.trace)
                                                 : Span();
    std::uint64_t n = 0;
    std::shared_lock lock(mu_);
    const auto it = rooms_.find(message.room_id);
    const bool members_here = it != rooms_.end();
    if (members_here) {  // else not even encoded (a gateway sees every room's messages)
        const OutboundFrame frame{std::make_shared<const std::string>(encode_(message)), message.id};
        for (const auto& member : it->second) n += member->Deliver(frame);
    }
    lock.unlock();
    if (span.recording()) {
        span.SetAttribute("rooms.room_id", static_cast<std::int64_t>(message.room_id));
        span.SetAttribute("rooms.message_id", static_cast<std::int64_t>(message.id));
        span.SetAttribute("rooms.recipients", static_cast<std::int64_t>(n));
    }
    if (!members_here) return;
    delivered_.fetch_add(n, std::memory_order_relaxed);
    if (time_) delivery_.Observe(std::chrono::duration<double>(time_->Now() - message.time_created).count());
}

std::size_t RoomHub::MemberCount(RoomId room) const {
    std::shared_lock lock(mu_);
    auto it = rooms_.find(room);
    return it == rooms_.end() ? 0 : it->second.size();
}

}  // namespace rooms
