#include "services/group_commit_bus.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace rooms {

namespace {
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
}  // namespace

GroupCommitBus::GroupCommitBus(MessagePersister& persister, MessageBus& inner, GroupCommitLimits limits)
    : persister_(persister), inner_(inner), limits_(limits) {
    if (limits_.batch_size == 0) throw std::invalid_argument("GroupCommitBus: batch_size must be positive");
    committer_ = std::thread([this] { Run(); });
}

GroupCommitBus::~GroupCommitBus() { Stop(); }

void GroupCommitBus::Publish(Message message, DeliveryHandler done) {
    std::unique_lock lock(mu_);
    if (stopping_) {
        lock.unlock();
        done(Unavailable("server is shutting down"));
        return;
    }
    if (queue_.size() >= limits_.max_pending) {
        const std::size_t waiting = queue_.size();
        lock.unlock();
        const std::string why = "the message store is behind";
        if (full_log_.ShouldLog(why))
            spdlog::warn("storage: {}: {} messages wait for their commit, refusing new ones", why, waiting);
        done(Unavailable(why + ", try again"));
        return;
    }
    const bool was_empty = queue_.empty();
    queue_.push_back(Pending{std::move(message), std::move(done)});
    lock.unlock();
    // The committer sleeps only on an empty queue; while it commits, new messages simply wait for the next batch.
    if (was_empty) wake_.notify_one();
}

void GroupCommitBus::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (committer_.joinable()) committer_.join();
}

std::uint64_t GroupCommitBus::committed() const {
    std::lock_guard lock(mu_);
    return committed_;
}

std::uint64_t GroupCommitBus::batches() const {
    std::lock_guard lock(mu_);
    return batches_;
}

void GroupCommitBus::Run() {
    std::vector<Pending> batch;
    std::vector<Message> messages;
    std::unique_lock lock(mu_);
    for (;;) {
        wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) break;  // stopping, and everything is committed
        const auto n = static_cast<std::ptrdiff_t>(std::min(queue_.size(), limits_.batch_size));
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
        queue_.erase(queue_.begin(), queue_.begin() + n);
        lock.unlock();

        messages.clear();
        for (const Pending& p : batch) messages.push_back(p.message);
        PersistedBatch result;
        const bool committed = Commit(messages, result);
        if (committed) {
            HandOn(batch, result);
        } else {
            Refuse(batch, Unavailable("the server is shutting down and the store does not answer"));
        }
        batch.clear();

        lock.lock();
        if (!committed) {
            std::vector<Pending> rest(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
            queue_.clear();
            lock.unlock();
            spdlog::critical("storage: {} messages could not be stored before shutdown", messages.size() + rest.size());
            Refuse(rest, Unavailable("the server is shutting down and the store does not answer"));
            return;
        }
        committed_ += messages.size() - result.refused.size();
        ++batches_;
    }
}

bool GroupCommitBus::Commit(const std::vector<Message>& messages, PersistedBatch& result) {
    auto backoff = kFirstBackoff;
    for (;;) {
        try {
            result = persister_.Persist(messages);
            return true;
        } catch (const std::exception& e) {
            spdlog::error("storage: committing {} messages failed, retrying in {} ms: {}", messages.size(),
                          backoff.count(), e.what());
        }
        std::this_thread::sleep_for(backoff);
        if (backoff >= kMaxBackoff) {
            std::lock_guard lock(mu_);
            if (stopping_) return false;
        }
        backoff = std::min(backoff * 2, kMaxBackoff);
    }
}

void GroupCommitBus::HandOn(std::vector<Pending>& batch, const PersistedBatch& result) {
    std::vector<const std::string*> refused(batch.size(), nullptr);
    for (const auto& [index, why] : result.refused) refused.at(index) = &why;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (refused[i]) {
            batch[i].done(InvalidArgument(*refused[i]));
        } else {
            inner_.Publish(std::move(batch[i].message), std::move(batch[i].done));
        }
    }
}

void GroupCommitBus::Refuse(std::vector<Pending>& batch, const Error& why) {
    for (Pending& p : batch) p.done(why);
}

}  // namespace rooms
