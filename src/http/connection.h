#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
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
    /// Since when the connection waits for a request and may be closed to make room for a new one (an HTTP
    /// keep-alive connection between requests, or one that has not sent its first byte yet); nullopt when it is
    /// busy or cannot be reclaimed (a WebSocket). Any thread.
    virtual std::optional<std::chrono::steady_clock::time_point> IdleSince() const { return std::nullopt; }
    /// Closes the connection if it still waits for a request: true when it will close without answering anything
    /// (its slot counts as free), false when it has become busy meanwhile. Any thread.
    virtual bool TryReclaim() { return false; }
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
    /// Closes the connection that has waited longest for a request (Connection::TryReclaim), as nginx reuses
    /// idle keep-alive connections when it runs out: true when one will close. O(connections): for a full server.
    bool ReclaimIdle() {
        using TimePoint = std::chrono::steady_clock::time_point;
        std::vector<std::pair<TimePoint, std::shared_ptr<Connection>>> idle;
        for (auto& c : Snapshot())
            if (auto since = c->IdleSince()) idle.emplace_back(*since, std::move(c));
        std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& [since, c] : idle)
            if (c->TryReclaim()) return true;
        return false;
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
