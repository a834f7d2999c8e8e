#include "common/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace rooms {

RateLimiter::Decision RateLimiter::Take(const std::string& key) {
    if (rps_ <= 0) return {};
    const MonotonicTime now = time_.Monotonic();
    std::lock_guard lock(mu_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) {
            // The least recently used key has waited longest, so its bucket is the fullest there is: forgetting it
            // costs the least (it comes back with a full bucket, which it almost has anyway).
            buckets_.erase(lru_.front());
            lru_.pop_front();
        }
        lru_.push_back(key);
        it = buckets_.emplace(key, Bucket{burst_, now, std::prev(lru_.end())}).first;
    } else {
        Bucket& b = it->second;
        const double secs = std::chrono::duration<double>(now - b.last).count();
        b.tokens = std::min(burst_, b.tokens + secs * rps_);
        b.last = now;
        lru_.splice(lru_.end(), lru_, b.lru);
    }
    Bucket& b = it->second;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return {};
    }
    return {false, std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rps_)))};
}

std::size_t RateLimiter::tracked() const {
    std::lock_guard lock(mu_);
    return buckets_.size();
}

}  // namespace rooms
