#include "support/fakes.h"

#include <algorithm>
#include <stdexcept>

namespace rooms::test_support {

void RecordingSink::OnMessage(const Message& message) {
    if (on_message) on_message(message);
    {
        std::lock_guard lock(mu_);
        messages_.push_back(message);
    }
    cv_.notify_all();
}

bool RecordingSink::WaitForCount(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
}

std::vector<Message> RecordingSink::Messages() {
    std::lock_guard lock(mu_);
    return messages_;
}

std::size_t RecordingSink::Count() {
    std::lock_guard lock(mu_);
    return messages_.size();
}

void FakeMessageStore::InsertBatch(std::span<const Message> messages) {
    std::lock_guard lock(mu_);
    ++calls_;
    if (fail_next_ > 0) {
        --fail_next_;
        throw std::runtime_error("store unavailable (fake)");
    }
    for (const Message& m : messages) {
        if (refused_rooms_.contains(m.room_id)) throw RejectedWrite("unknown room (fake)");
        if (m.content.size() > 65536) throw RejectedWrite("content over 65536 bytes (fake)");
    }
    received_ += messages.size();
    batch_sizes_.push_back(messages.size());
    for (const Message& m : messages) {
        if (ids_.insert(m.id).second) stored_.push_back(m);
    }
}

Result<std::vector<Message>> FakeMessageStore::Page(RoomId room, std::optional<MessageId> before, int limit) {
    std::lock_guard lock(mu_);
    std::vector<Message> page;
    bool found = !before.has_value();
    for (auto it = stored_.rbegin(); it != stored_.rend() && static_cast<int>(page.size()) < limit; ++it) {
        if (it->room_id != room) continue;
        if (!found) {
            found = it->id == *before;
            continue;
        }
        page.push_back(*it);
    }
    if (!found) return NotFound("no such message in this room");
    return page;
}

MessageId FakeMessageStore::MaxId() {
    std::lock_guard lock(mu_);
    return ids_.empty() ? 0 : *ids_.rbegin();
}

void FakeMessageStore::FailNextCalls(int count) {
    std::lock_guard lock(mu_);
    fail_next_ = count;
}

void FakeMessageStore::RefuseRoom(RoomId room) {
    std::lock_guard lock(mu_);
    refused_rooms_.insert(room);
}

int FakeMessageStore::Calls() {
    std::lock_guard lock(mu_);
    return calls_;
}

std::vector<std::size_t> FakeMessageStore::BatchSizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
}

std::size_t FakeMessageStore::Received() {
    std::lock_guard lock(mu_);
    return received_;
}

std::size_t FakeMessageStore::Stored() {
    std::lock_guard lock(mu_);
    return ids_.size();
}

std::vector<Message> FakeMessageStore::StoredMessages() {
    std::lock_guard lock(mu_);
    return stored_;
}

void FakeHistory::ThrowIfDown() {
    if (down_) throw std::runtime_error("history cache down (fake)");
}

void FakeHistory::Append(const Message& message) {
    std::lock_guard lock(mu_);
    ThrowIfDown();
    rooms_[message.room_id].push_back(message.id);
    ++appends_;
}

std::optional<std::vector<Message>> FakeHistory::Recent(RoomId, int) {
    std::lock_guard lock(mu_);
    ThrowIfDown();
    return std::nullopt;
}

void FakeHistory::Fill(RoomId, std::vector<Message>) {
    std::lock_guard lock(mu_);
    ThrowIfDown();
}

void FakeHistory::Forget(std::span<const RoomId> rooms) {
    std::lock_guard lock(mu_);
    ThrowIfDown();
    forgotten_.insert(forgotten_.end(), rooms.begin(), rooms.end());
}

void FakeHistory::SetDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
}

std::map<RoomId, std::vector<MessageId>> FakeHistory::AppendedIds() {
    std::lock_guard lock(mu_);
    return rooms_;
}

std::size_t FakeHistory::Appends() {
    std::lock_guard lock(mu_);
    return appends_;
}

std::vector<RoomId> FakeHistory::Forgotten() {
    std::lock_guard lock(mu_);
    return forgotten_;
}

std::map<RoomId, std::vector<MessageId>> IdsByRoom(const std::vector<Message>& messages) {
    std::map<RoomId, std::vector<MessageId>> rooms;
    for (const Message& m : messages) rooms[m.room_id].push_back(m.id);
    return rooms;
}

}  // namespace rooms::test_support
