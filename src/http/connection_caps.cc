#include "http/connection_caps.h"

namespace rooms {

std::optional<std::string> ConnectionCaps::Acquire(const std::string& ip, UserId user) {
    if (!by_user_.TryAcquire(user))
        return "too many connections for this user (at most " + std::to_string(by_user_.cap()) + ")";
    if (!by_ip_.TryAcquire(ip)) {
        by_user_.Release(user);
        return "too many connections from this address (at most " + std::to_string(by_ip_.cap()) + ")";
    }
    return std::nullopt;
}

void ConnectionCaps::Release(const std::string& ip, UserId user) {
    by_user_.Release(user);
    by_ip_.Release(ip);
}

}  // namespace rooms
