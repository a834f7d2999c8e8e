#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "domain/time_source.h"

namespace rooms {

/// What belongs to a login session and must end with it: a room socket.
class SessionWatcher {
  public:
    virtual ~SessionWatcher() = default;
    /// The session was revoked (logout, or its refresh token replayed). Called on the revoker's thread, outside
    /// the registry's lock; must not block.
    virtual void OnSessionRevoked() = 0;
};

/// One gateway's view of login sessions (refresh-token families): the ones revoked, whose access tokens it refuses,
/// and the watchers of each live one, which it tells when the session is revoked. A revoked session is remembered
/// until every access token issued for it has expired (`remember_for`: the access-token lifetime, measured from
/// when this gateway learnt of the revocation), then forgotten, so the table holds at most the revocations of one
/// access-token lifetime. Thread-safe; no call blocks beyond the lock.
class SessionRegistry {
  public:
    SessionRegistry(std::chrono::seconds remember_for, const TimeSource& time);

    /// Remembers `session` as revoked and tells its watchers (once; they are dropped). Idempotent.
    void Revoke(const std::string& session);
    bool IsRevoked(std::string_view session) const;

    /// Registers `watcher` (identified by its address) for `session`. False, and nothing registered, when the
    /// session is revoked already: the caller ends at once.
    bool Watch(const std::string& session, const std::shared_ptr<SessionWatcher>& watcher);
    void Unwatch(const std::string& session, const SessionWatcher* watcher);

    std::size_t revoked_count() const;
    std::size_t watcher_count() const;

  private:
    void ForgetExpired(TimePoint now);  // lock held

    const std::chrono::seconds remember_for_;
    const TimeSource& time_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, TimePoint> revoked_;          // session → forgotten at
    std::deque<std::pair<TimePoint, std::string>> forget_order_;  // by time: remember_for_ is one for all
    struct Watcher {
        const SessionWatcher* id;  // compared only, never dereferenced
        std::weak_ptr<SessionWatcher> ptr;
    };
    std::unordered_multimap<std::string, Watcher> watchers_;
};

}  // namespace rooms
