#include "http/send_queue.h"

#include <algorithm>

namespace rooms {

SendQueue::PushResult SendQueue::Push(OutboundFrame frame) {
    std::lock_guard lock(mu_);
    if (closed_) return PushResult::kClosed;
    if (frames_.size() >= capacity_) {
        closed_ = true;
        overflowed_ = true;
        frames_.clear();
        return PushResult::kOverflow;
    }
    frames_.push_back(std::move(frame));
    if (writer_idle_) {
        writer_idle_ = false;
        return PushResult::kWakeWriter;
    }
    return PushResult::kQueued;
}

std::optional<OutboundFrame> SendQueue::Pop() {
    std::lock_guard lock(mu_);
    if (frames_.empty() || closed_) {
        writer_idle_ = true;
        return std::nullopt;
    }
    OutboundFrame f = std::move(frames_.front());
    frames_.pop_front();
    return f;
}

void SendQueue::Discard(const std::unordered_set<MessageId>& ids) {
    std::lock_guard lock(mu_);
    std::erase_if(frames_, [&](const OutboundFrame& f) { return f.message_id != 0 && ids.contains(f.message_id); });
}

void SendQueue::Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    frames_.clear();
}

bool SendQueue::closed() const {
    std::lock_guard lock(mu_);
    return closed_;
}

bool SendQueue::overflowed() const {
    std::lock_guard lock(mu_);
    return overflowed_;
}

std::size_t SendQueue::size() const {
    std::lock_guard lock(mu_);
    return frames_.size();
}

}  // namespace rooms
