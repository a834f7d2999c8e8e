#include "adapters/redis/redis_revocations.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace rooms {

struct RedisRevocationBus::Subscriber {
    Subscriber(RedisRevocationOptions o, std::string ch, Handler h)
        : options(std::move(o)), channel(std::move(ch)), on_revoked(std::move(h)), thread([this] { Loop(); }) {}
    ~Subscriber() {
        {
            std::lock_guard lock(mu);
            stopping = true;
        }
        changed.notify_all();
        thread.join();
    }

    void Loop() {
        std::optional<RedisConnection> connection;
        try {
            connection.emplace(options.redis, options.redis.redis.address);
        } catch (const std::exception& e) {  // the pool accepted the same address, so this is a bug
            SetState(false, e.what());
            spdlog::error("session revocations: {}", e.what());
            return;
        }
        Subscribe(*connection);
    }

    void Subscribe(RedisConnection& connection) {
        while (!Stopping()) {
            try {
                connection.CommandOrThrow({"SUBSCRIBE", channel});
                SetState(true, {});
                while (!Stopping()) {
                    auto message = connection.Receive(options.poll_interval);
                    if (!message) continue;
                    // ["message", channel, payload]; the confirmation of SUBSCRIBE came as its reply.
                    if (message->type == RedisReply::Type::kArray && message->elements.size() == 3 &&
                        message->elements[0].str == "message")
                        on_revoked(message->elements[2].str);
                }
            } catch (const std::exception& e) {
                connection.Disconnect();
                if (SetState(false, e.what())) spdlog::warn("session revocations: not subscribed: {}", e.what());
                std::unique_lock lock(mu);
                changed.wait_for(lock, options.retry_interval, [this] { return stopping; });
            }
        }
    }

    bool Stopping() {
        std::lock_guard lock(mu);
        return stopping;
    }
    /// Returns whether this failure is worth a warning: the first, or the end of a subscription (not every retry).
    bool SetState(bool now_subscribed, std::string error) {
        std::lock_guard lock(mu);
        const bool was = subscribed;
        const bool first_failure = !now_subscribed && (was || !failed_before);
        subscribed = now_subscribed;
        last_error = std::move(error);
        if (!now_subscribed) failed_before = true;
        changed.notify_all();
        if (now_subscribed && !was) spdlog::info("session revocations: subscribed to {}", channel);
        return first_failure;
    }

    const RedisRevocationOptions options;
    const std::string channel;
    const Handler on_revoked;
    mutable std::mutex mu;
    mutable std::condition_variable changed;
    bool stopping = false;
    bool subscribed = false;
    bool failed_before = false;
    std::string last_error = "not subscribed yet";
    std::thread thread;  // last: starts once everything above exists
};

RedisRevocationBus::RedisRevocationBus(RedisPool& pool, RedisRevocationOptions options, Handler on_revoked)
    : pool_(pool), channel_(options.redis.redis.key_prefix + "sessions:revoked") {
    subscriber_ = std::make_unique<Subscriber>(std::move(options), channel_, std::move(on_revoked));
}

RedisRevocationBus::~RedisRevocationBus() = default;

void RedisRevocationBus::Publish(std::string_view session) {
    pool_.Run([&](RedisConnection& c) { c.CommandOrThrow({"PUBLISH", channel_, std::string(session)}); });
}

std::optional<std::string> RedisRevocationBus::Health() const {
    std::lock_guard lock(subscriber_->mu);
    if (subscriber_->subscribed) return std::nullopt;
    return "not subscribed to " + channel_ + ": " + subscriber_->last_error;
}

bool RedisRevocationBus::WaitSubscribed(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(subscriber_->mu);
    return subscriber_->changed.wait_for(lock, timeout, [this] { return subscriber_->subscribed; });
}

}  // namespace rooms
