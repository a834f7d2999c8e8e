#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rooms {

/// A live client connection, as graceful shutdown sees it.
class Connection {
  public:
    virtual ~Connection() = default;
    /// Ends the connection politely (WebSocket: close 1001; HTTP: after the request in flight). Any thread.
    virtual void Shutdown() = 0;
    /// Cuts the connection at once (the grace period is over). Any thread.
    virtual void Abort() = 0;
};

/// Every live connection, so shutdown can reach them and the connection cap can count them. Thread-safe.
class ConnectionRegistry {
  public:
    std::uint64_t Add(std::weak_ptr<Connection> c) {
        std::lock_guard lock(mu_);
        const auto id = ++next_id_;
        live_.emplace(id, std::move(c));
        return id;
    }
    void Remove(std::uint64_t id) {
        std::lock_guard lock(mu_);
        live_.erase(id);
    }
    std::size_t size() const {
        std::lock_guard lock(mu_);
        return live_.size();
    }
    void ShutdownAll() {
        for (auto& c : Snapshot()) c->Shutdown();
    }
    void AbortAll() {
        for (auto& c : Snapshot()) c->Abort();
    }

  private:
    std::vector<std::shared_ptr<Connection>> Snapshot() {
        std::vector<std::shared_ptr<Connection>> all;
        std::lock_guard lock(mu_);
        for (auto& [id, weak] : live_)
            if (auto c = weak.lock()) all.push_back(std::move(c));
        return all;
    }

    mutable std::mutex mu_;
    std::uint64_t next_id_ = 0;
    std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> live_;
};

/// Registers a connection for its lifetime.
class ConnectionGuard {
  public:
    ConnectionGuard(ConnectionRegistry& r, std::weak_ptr<Connection> c) : r_(r), id_(r.Add(std::move(c))) {}
    ~ConnectionGuard() { r_.Remove(id_); }
    ConnectionGuard(const ConnectionGuard&) = delete;
    ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  private:
    ConnectionRegistry& r_;
    std::uint64_t id_;
};

}  // namespace rooms
