#include "http/send_queue.h"

#include <algorithm>
#include <iterator>

namespace rooms {

SendQueue::PushResult SendQueue::Push(OutboundFrame frame) {
    std::lock_guard lock(mu_);
    if (closed_) return PushResult::kClosed;
    if (frames_.size() - head_ >= capacity_) {
        closed_ = true;
        overflowed_ = true;
        Clear();
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
    if (head_ == frames_.size() || closed_) {
        writer_idle_ = true;
        return std::nullopt;
    }
    OutboundFrame f = std::move(frames_[head_++]);
    if (head_ == frames_.size()) Clear();
    return f;
}

bool SendQueue::TakeAll(std::vector<OutboundFrame>& out) {
    std::lock_guard lock(mu_);
    if (head_ == frames_.size() || closed_) {
        writer_idle_ = true;
        return false;
    }
    if (head_ == 0 && out.empty()) {
        out.swap(frames_);  // the writer's emptied vector comes back: both keep their capacity
    } else {
        out.insert(out.end(), std::make_move_iterator(frames_.begin() + static_cast<std::ptrdiff_t>(head_)),
                   std::make_move_iterator(frames_.end()));
    }
    Clear();
    return true;
}

void SendQueue::Clear() {
    frames_.clear();
    head_ = 0;
}

void SendQueue::Discard(const std::unordered_set<MessageId>& ids) {
    std::lock_guard lock(mu_);
    const auto queued = frames_.begin() + static_cast<std::ptrdiff_t>(head_);
    frames_.erase(
        std::remove_if(queued, frames_.end(),
                       [&](const OutboundFrame& f) { return f.message_id != 0 && ids.contains(f.message_id); }),
        frames_.end());
}

void SendQueue::Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    Clear();
    frames_.shrink_to_fit();
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
    return frames_.size() - head_;
}

}  // namespace rooms
