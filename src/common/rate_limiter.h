#pragma once

#include <cstddef>
#include <iterator>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/time_source.h"

namespace rooms {

/// Token buckets by key (a client address for the API, "user:<id>" for chat messages): `rps` tokens a second,
/// at most `burst` saved. rps 0 turns it off. At most `max_keys` buckets are kept (rate_limit.max_tracked_keys):
/// a new key beyond that evicts the least recently used one, which starts again with a full bucket when it comes
/// back, so the table never grows past the bound however many distinct keys arrive. Thread-safe.
class RateLimiter {
  public:
    static constexpr std::size_t kDefaultMaxKeys = 100'000;

    RateLimiter(double rps, double burst, const TimeSource& time, std::size_t max_keys = kDefaultMaxKeys)
        : rps_(rps), burst_(burst), max_keys_(max_keys < 1 ? 1 : max_keys), time_(time) {}

    struct Decision {
        bool allowed = true;
        int retry_after_s = 0;  // when refused: seconds until a token is there
    };
    Decision Take(const std::string& key);

    /// Buckets held now (never above max_keys).
    std::size_t tracked() const;

  private:
    struct Bucket {
        double tokens;
        MonotonicTime last;
        std::list<std::string>::iterator lru;  // its key's place in lru_
    };

    const double rps_;
    const double burst_;
    const std::size_t max_keys_;
    const TimeSource& time_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
    std::list<std::string> lru_;  // keys, least recently used first
};

}  // namespace rooms
