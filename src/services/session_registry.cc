#include "services/session_registry.h"

#include <vector>

namespace rooms {

SessionRegistry::SessionRegistry(std::chrono::seconds remember_for, const TimeSource& time)
    : remember_for_(remember_for), time_(time) {}

void SessionRegistry::Revoke(const std::string& session) {
    if (session.empty()) return;
    std::vector<std::shared_ptr<SessionWatcher>> to_tell;
    {
        std::lock_guard lock(mu_);
        const TimePoint now = time_.Now();
        ForgetExpired(now);
        const TimePoint until = now + remember_for_;
        if (revoked_.try_emplace(session, until).second) forget_order_.emplace_back(until, session);
        auto [first, last] = watchers_.equal_range(session);
        for (auto w = first; w != last; ++w) {
            if (auto alive = w->second.ptr.lock()) to_tell.push_back(std::move(alive));
        }
        watchers_.erase(first, last);
    }
    for (const auto& watcher : to_tell) watcher->OnSessionRevoked();
}

bool SessionRegistry::IsRevoked(std::string_view session) const {
    if (session.empty()) return false;
    std::lock_guard lock(mu_);
    const auto it = revoked_.find(std::string(session));
    return it != revoked_.end() && it->second > time_.Now();
}

bool SessionRegistry::Watch(const std::string& session, const std::shared_ptr<SessionWatcher>& watcher) {
    std::lock_guard lock(mu_);
    const auto it = revoked_.find(session);
    if (it != revoked_.end() && it->second > time_.Now()) return false;
    watchers_.emplace(session, Watcher{watcher.get(), watcher});
    return true;
}

void SessionRegistry::Unwatch(const std::string& session, const SessionWatcher* watcher) {
    std::lock_guard lock(mu_);
    auto [first, last] = watchers_.equal_range(session);
    for (auto w = first; w != last; ++w) {
        if (w->second.id == watcher) {
            watchers_.erase(w);
            return;
        }
    }
}

std::size_t SessionRegistry::revoked_count() const {
    std::lock_guard lock(mu_);
    return revoked_.size();
}

std::size_t SessionRegistry::watcher_count() const {
    std::lock_guard lock(mu_);
    return watchers_.size();
}

void SessionRegistry::ForgetExpired(TimePoint now) {
    while (!forget_order_.empty() && forget_order_.front().first <= now) {
        revoked_.erase(forget_order_.front().second);
        forget_order_.pop_front();
    }
}

}  // namespace rooms
