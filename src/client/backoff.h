#pragma once

#include <chrono>
#include <cstdint>

namespace rooms::client {

/// Reconnection delays: exponential from `initial` doubling to `max`, each one drawn at random from the upper
/// half of the current step ("equal jitter"), so that clients dropped together do not come back together.
/// Not thread-safe.
class Backoff {
  public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed);

    /// The delay before the next attempt; each call doubles the step up to max.
    std::chrono::milliseconds Next();
    /// Back to `initial`: after a connection that held.
    void Reset();
    /// How many delays were handed out since the last Reset.
    int attempts() const { return attempts_; }

  private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds step_;
    int attempts_ = 0;
    std::uint64_t random_;  // splitmix64 state: small, as a Backoff lives in coroutine frames
};

}  // namespace rooms::client
