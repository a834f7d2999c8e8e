#include "services/write_behind_store.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace rooms {

WriteBehindMessageStore::WriteBehindMessageStore(MessageStore& inner, int batch_size,
                                                 std::chrono::milliseconds flush_interval)
    : inner_(inner), batch_size_(static_cast<std::size_t>(batch_size)), flush_interval_(flush_interval) {
    writer_ = std::thread([this] { Run(); });
}

WriteBehindMessageStore::~WriteBehindMessageStore() { Stop(); }

void WriteBehindMessageStore::InsertBatch(std::span<const Message> messages) {
    std::lock_guard lock(mu_);
    if (stopping_ && dead_) {
        spdlog::error("storage: {} messages arrived after the writer stopped and are not stored", messages.size());
        return;
    }
    const bool was_empty = pending_.empty();
    pending_.insert(pending_.end(), messages.begin(), messages.end());
    queued_ += messages.size();
    // An idle writer sleeps until the first message arrives, then gives the batch flush_interval to fill.
    if (was_empty || pending_.size() >= batch_size_) wake_writer_.notify_one();
}

Result<std::vector<Message>> WriteBehindMessageStore::Page(RoomId room, std::optional<MessageId> before, int limit) {
    Flush();
    return inner_.Page(room, before, limit);
}

MessageId WriteBehindMessageStore::MaxId() {
    Flush();
    return inner_.MaxId();
}

void WriteBehindMessageStore::Flush() {
    std::unique_lock lock(mu_);
    const std::uint64_t target = queued_;
    if (written_ >= target) return;
    flush_requested_ = true;
    wake_writer_.notify_one();
    written_cv_.wait(lock, [&] { return written_ >= target || dead_; });
}

void WriteBehindMessageStore::Stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_writer_.notify_one();
    if (writer_.joinable()) writer_.join();
}

std::uint64_t WriteBehindMessageStore::written() const {
    std::lock_guard lock(mu_);
    return written_;
}

void WriteBehindMessageStore::Run() {
    std::vector<Message> batch;
    auto backoff = std::chrono::milliseconds(50);
    std::unique_lock lock(mu_);
    for (;;) {
        if (pending_.empty()) {
            if (stopping_) break;
            wake_writer_.wait(lock, [&] { return !pending_.empty() || stopping_; });
            continue;
        }
        // Give the batch up to flush_interval to fill, unless asked to hurry.
        if (pending_.size() < batch_size_ && !flush_requested_ && !stopping_) {
            wake_writer_.wait_for(lock, flush_interval_,
                                  [&] { return pending_.size() >= batch_size_ || flush_requested_ || stopping_; });
        }
        const std::size_t n = std::min(pending_.size(), batch_size_);
        // Copied, not moved: if the write fails, pending_ must still hold the messages for the retry.
        batch.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
        lock.unlock();
        bool ok = true;
        try {
            inner_.InsertBatch(batch);
        } catch (const std::exception& e) {
            ok = false;
            spdlog::error("storage: writing {} messages failed, retrying in {} ms: {}", n, backoff.count(), e.what());
        }
        lock.lock();
        if (ok) {
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
            written_ += n;
            if (pending_.empty()) flush_requested_ = false;
            backoff = std::chrono::milliseconds(50);
            written_cv_.notify_all();
        } else {
            wake_writer_.wait_for(lock, backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
            // Stopping with a store that keeps failing: give up after the backoff has grown, loudly.
            if (stopping_ && backoff >= std::chrono::milliseconds(5000)) {
                spdlog::critical("storage: {} messages could not be written before shutdown", pending_.size());
                break;
            }
        }
    }
    dead_ = true;
    written_cv_.notify_all();
}

}  // namespace rooms
