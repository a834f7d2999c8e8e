#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "adapters/redis/redis_pool.h"
#include "domain/ports.h"

namespace rooms {

struct RedisRevocationOptions {
    RedisOptions redis;                              // address, password, timeouts, key_prefix
    std::chrono::milliseconds retry_interval{1000};  // wait before subscribing again after a failure
    std::chrono::milliseconds poll_interval{200};    // how soon Stop is noticed
};

/// Revoked sessions through Redis pub/sub: Publish sends PUBLISH <key_prefix>sessions:revoked <session> on a pooled
/// connection; a subscriber thread of its own, on a dedicated connection, hands every session published there (by
/// any gateway, this one included) to `on_revoked`. Pub/sub keeps nothing: a gateway not subscribed at that moment
/// (Redis down, reconnecting) misses the revocation, and its sockets of that session close when their access token
/// expires instead (auth.access_token_ttl_s at most). The subscriber reconnects by itself.
class RedisRevocationBus : public RevocationBus {
  public:
    /// Starts the subscriber. `pool` and `on_revoked` must outlive the bus.
    RedisRevocationBus(RedisPool& pool, RedisRevocationOptions options, Handler on_revoked);
    /// Stops the subscriber (within poll_interval).
    ~RedisRevocationBus() override;
    RedisRevocationBus(const RedisRevocationBus&) = delete;
    RedisRevocationBus& operator=(const RedisRevocationBus&) = delete;

    void Publish(std::string_view session) override;

    /// Readiness: nullopt while subscribed, else why not.
    std::optional<std::string> Health() const;
    /// Blocks until subscribed or `timeout`; returns whether subscribed.
    bool WaitSubscribed(std::chrono::milliseconds timeout) const;

  private:
    struct Subscriber;
    RedisPool& pool_;
    const std::string channel_;
    std::unique_ptr<Subscriber> subscriber_;
};

}  // namespace rooms
