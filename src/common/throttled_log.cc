#include "common/throttled_log.h"

namespace rooms {

bool ThrottledLog::ShouldLog(const std::string& text) {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (text == last_text_ && now - last_time_ < interval_) return false;
    last_text_ = text;
    last_time_ = now;
    return true;
}

}  // namespace rooms
