#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "domain/ports.h"

namespace rooms {

/// A MessageStore that takes writes into memory and writes them to the inner store in batches on its own
/// thread, so that the network threads never wait for the disk. Reads first wait until every write taken
/// before them is stored, so a client reads what it was sent. A failed batch is retried, never dropped.
/// Stop() writes everything still queued (graceful shutdown).
class WriteBehindMessageStore : public MessageStore {
  public:
    WriteBehindMessageStore(MessageStore& inner, int batch_size, std::chrono::milliseconds flush_interval);
    ~WriteBehindMessageStore() override;

    /// Non-blocking: queues the messages.
    void InsertBatch(std::span<const Message> messages) override;
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit) override;
    MessageId MaxId() override;

    /// Blocks until every message queued before the call is stored.
    void Flush();
    /// Writes what is queued and stops the writer thread. Idempotent.
    void Stop();

    std::uint64_t written() const;

  private:
    void Run();

    MessageStore& inner_;
    const std::size_t batch_size_;
    const std::chrono::milliseconds flush_interval_;

    mutable std::mutex mu_;
    std::condition_variable wake_writer_;
    std::condition_variable written_cv_;
    std::deque<Message> pending_;
    std::uint64_t queued_ = 0;   // messages ever queued
    std::uint64_t written_ = 0;  // messages ever written
    bool flush_requested_ = false;
    bool stopping_ = false;
    bool dead_ = false;  // the writer thread has exited
    std::thread writer_;
};

}  // namespace rooms
