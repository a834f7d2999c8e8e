#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/time_source.h"

namespace rooms {

/// Token buckets by key (a client address for the API, "user:<id>" for chat messages): `rps` tokens a second,
/// at most `burst` saved. rps 0 turns it off. Thread-safe.
class RateLimiter {
  public:
    RateLimiter(double rps, double burst, const TimeSource& time) : rps_(rps), burst_(burst), time_(time) {}

    struct Decision {
        bool allowed = true;
        int retry_after_s = 0;  // when refused: seconds until a token is there
    };
    Decision Take(const std::string& key);

  private:
    struct Bucket {
        double tokens;
        MonotonicTime last;
    };
    static constexpr std::size_t kMaxTracked = 100'000;

    const double rps_;
    const double burst_;
    const TimeSource& time_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace rooms
