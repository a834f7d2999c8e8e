#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rooms {

/// Token buckets per client IP: `rps` tokens a second, at most `burst` saved. rps 0 turns it off.
/// Thread-safe.
class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    RateLimiter(double rps, double burst) : rps_(rps), burst_(burst) {}

    struct Decision {
        bool allowed = true;
        int retry_after_s = 0;  // when refused: seconds until a token is there
    };
    Decision Take(const std::string& ip, Clock::time_point now = Clock::now());

  private:
    struct Bucket {
        double tokens;
        Clock::time_point last;
    };
    static constexpr std::size_t kMaxTracked = 100'000;

    const double rps_;
    const double burst_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace rooms
