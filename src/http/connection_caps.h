#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/types.h"

namespace rooms {

/// Counts of something open per key (connections per address, per user), each held under `cap` (0: no cap).
/// Thread-safe.
template <typename Key>
class CappedCounts {
  public:
    explicit CappedCounts(std::size_t cap) : cap_(cap) {}

    /// Counts one more for `key`: true when admitted (Release it when it ends), false when `key` is at the cap.
    bool TryAcquire(const Key& key) {
        std::lock_guard lock(mu_);
        std::size_t& n = counts_[key];
        if (cap_ > 0 && n >= cap_) {
            if (n == 0) counts_.erase(key);
            return false;
        }
        ++n;
        return true;
    }
    void Release(const Key& key) {
        std::lock_guard lock(mu_);
        if (auto it = counts_.find(key); it != counts_.end() && --it->second == 0) counts_.erase(it);
    }
    std::size_t cap() const { return cap_; }

  private:
    const std::size_t cap_;
    std::mutex mu_;
    std::unordered_map<Key, std::size_t> counts_;  // only keys with something open
};

/// Open room WebSockets per client IP and per user in this process, held under configured caps (0: no
/// cap), so that one address or one account cannot take every connection of a gateway. Every TCP connection is
/// capped per peer address as well, before this (HttpServer, http.max_connections_per_ip). Thread-safe.
class ConnectionCaps {
  public:
    ConnectionCaps(std::size_t per_ip, std::size_t per_user) : by_ip_(per_ip), by_user_(per_user) {}

    /// Counts a new connection: nullopt when admitted (Release it when it ends), else why not.
    std::optional<std::string> Acquire(const std::string& ip, UserId user);
    void Release(const std::string& ip, UserId user);

  private:
    CappedCounts<std::string> by_ip_;
    CappedCounts<UserId> by_user_;
};

}  // namespace rooms
