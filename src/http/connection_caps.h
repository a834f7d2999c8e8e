#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/types.h"

namespace rooms {

/// Open room WebSockets per client IP and per user in this process, held under configured caps (0: no
/// cap), so that one address or one account cannot take every connection of a gateway. Thread-safe.
class ConnectionCaps {
  public:
    ConnectionCaps(std::size_t per_ip, std::size_t per_user) : per_ip_(per_ip), per_user_(per_user) {}

    /// Counts a new connection: nullopt when admitted (Release it when it ends), else why not.
    std::optional<std::string> Acquire(const std::string& ip, UserId user);
    void Release(const std::string& ip, UserId user);

  private:
    const std::size_t per_ip_;
    const std::size_t per_user_;
    std::mutex mu_;
    std::unordered_map<std::string, std::size_t> by_ip_;
    std::unordered_map<UserId, std::size_t> by_user_;
};

}  // namespace rooms
