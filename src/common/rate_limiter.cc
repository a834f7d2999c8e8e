#include "common/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace rooms {

RateLimiter::Decision RateLimiter::Take(const std::string& key) {
    if (rps_ <= 0) return {};
    const MonotonicTime now = time_.Monotonic();
    std::lock_guard lock(mu_);
    if (buckets_.size() >= kMaxTracked) {
        // Forget clients whose bucket has refilled: they are indistinguishable from new ones.
        std::erase_if(buckets_, [&](const auto& kv) {
            const double secs = std::chrono::duration<double>(now - kv.second.last).count();
            return kv.second.tokens + secs * rps_ >= burst_;
        });
    }
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
        const double secs = std::chrono::duration<double>(now - b.last).count();
        b.tokens = std::min(burst_, b.tokens + secs * rps_);
        b.last = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return {};
    }
    return {false, std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rps_)))};
}

}  // namespace rooms
