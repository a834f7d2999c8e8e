#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "common/throttled_log.h"
#include "domain/ports.h"

namespace rooms {

/// What a GroupCommitBus is given (storage.batch_size, storage.max_pending_messages).
struct GroupCommitLimits {
    std::size_t batch_size = 500;       // most messages persisted in one call (one SQLite transaction)
    std::size_t max_pending = 100'000;  // messages waiting for their commit; Publish refuses beyond
};

/// "Accepted" in role `all`: persisted. A MessageBus in front of another (the in-process bus, whose sinks fan out)
/// that hands a message on, and so tells its sender and echoes it, only once the persister has committed it: what
/// any client has seen survives a crash of the process, as a broker's acknowledgement does in the cluster.
///
/// Group commit: Publish only queues. One committer thread takes everything queued (at most batch_size) as one
/// batch, persists it with one MessagePersister call (one SQLite transaction, then the history cache), then
/// publishes the batch's messages to the inner bus in queue order, whose answer goes to each sender. Messages that
/// arrive meanwhile form the next batch, so a busy server commits many messages per transaction and an idle one
/// commits each at once, without a timer.
///
/// A batch the persister throws for is retried with a growing backoff (50 ms to 5 s; persisting is idempotent):
/// its senders wait, nothing is dropped; once max_pending messages wait, Publish refuses with Unavailable. The
/// messages the store refuses for good (PersistedBatch::refused) are answered with that reason and never handed on.
///
/// Publish is thread-safe and non-blocking; senders are answered on the committer thread. Per room, the inner bus
/// sees messages in the order Publish queued them, which is the order they are stored in.
class GroupCommitBus : public MessageBus {
  public:
    /// Starts the committer thread. `persister` and `inner` must outlive the bus (or its Stop).
    GroupCommitBus(MessagePersister& persister, MessageBus& inner, GroupCommitLimits limits);
    ~GroupCommitBus() override;
    GroupCommitBus(const GroupCommitBus&) = delete;
    GroupCommitBus& operator=(const GroupCommitBus&) = delete;

    void Publish(Message message, DeliveryHandler done) override;

    /// Refuses every later Publish with Unavailable, commits and hands on what is queued, and joins the committer.
    /// A persister that keeps failing is given up on once the backoff reaches 5 s: the messages left are answered
    /// Unavailable (and logged). Idempotent.
    void Stop();

    /// Messages committed and batches (transactions) it took, since the start.
    std::uint64_t committed() const;
    std::uint64_t batches() const;

  private:
    struct Pending {
        Message message;
        DeliveryHandler done;
    };

    void Run();
    /// Persists `messages`, retrying; false when given up on (stopping, and the persister keeps failing).
    bool Commit(const std::vector<Message>& messages, PersistedBatch& result);
    /// Answers the refused messages of the batch and hands the others to the inner bus, in order.
    void HandOn(std::vector<Pending>& batch, const PersistedBatch& result);
    static void Refuse(std::vector<Pending>& batch, const Error& why);

    MessagePersister& persister_;
    MessageBus& inner_;
    const GroupCommitLimits limits_;

    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::deque<Pending> queue_;
    std::uint64_t committed_ = 0;
    std::uint64_t batches_ = 0;
    bool stopping_ = false;
    ThrottledLog full_log_{std::chrono::seconds(10)};
    std::thread committer_;
};

}  // namespace rooms
