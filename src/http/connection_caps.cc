#include "http/connection_caps.h"

namespace rooms {

std::optional<std::string> ConnectionCaps::Acquire(const std::string& ip, UserId user) {
    std::lock_guard lock(mu_);
    const auto count = [](const auto& map, const auto& key) {
        auto it = map.find(key);
        return it == map.end() ? std::size_t{0} : it->second;
    };
    if (per_user_ > 0 && count(by_user_, user) >= per_user_)
        return "too many connections for this user (at most " + std::to_string(per_user_) + ")";
    if (per_ip_ > 0 && count(by_ip_, ip) >= per_ip_)
        return "too many connections from this address (at most " + std::to_string(per_ip_) + ")";
    ++by_user_[user];
    ++by_ip_[ip];
    return std::nullopt;
}

void ConnectionCaps::Release(const std::string& ip, UserId user) {
    std::lock_guard lock(mu_);
    if (auto it = by_user_.find(user); it != by_user_.end() && --it->second == 0) by_user_.erase(it);
    if (auto it = by_ip_.find(ip); it != by_ip_.end() && --it->second == 0) by_ip_.erase(it);
}

}  // namespace rooms
