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
    std::shared_lock lock(mu_);
    auto it = rooms_.find(message.room_id);
    if (it == rooms_.end()) return;  // no member here: not even encoded (a gateway sees every room's messages)
    const OutboundFrame frame{std::make_shared<const std::string>(encode_(message)), message.id};
    std::uint64_t n = 0;
    for (const auto& member : it->second) n += member->Deliver(frame);
    delivered_.fetch_add(n, std::memory_order_relaxed);
    if (time_) delivery_.Observe(std::chrono::duration<double>(time_->Now() - message.time_created).count());
}

std::size_t RoomHub::MemberCount(RoomId room) const {
    std::shared_lock lock(mu_);
    auto it = rooms_.find(room);
    return it == rooms_.end() ? 0 : it->second.size();
}

}  // namespace rooms
