// The seed's V2 services: `websocket` (app-websocket: API + WebSocket gateway) and `consumer`
// (app-consumer: Kafka -> PostgreSQL + Redis history), on PostgreSQL, Redis and Kafka.

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_bus.h"
#include "adapters/kafka/kafka_fanout.h"
#include "adapters/kafka/kafka_persister.h"
#include "adapters/memory/recent_overlay.h"
#include "adapters/postgres/pg_migrate.h"
#include "adapters/postgres/pg_pool.h"
#include "adapters/postgres/postgres_store.h"
#include "adapters/redis/redis_history.h"
#include "adapters/redis/redis_pool.h"
#include "adapters/redis/redis_presence.h"
#include "app/gateway.h"
#include "app/roles.h"
#include "crypto/secrets.h"
#include "services/best_effort_history.h"

namespace rooms {

namespace {

constexpr auto kTopicTimeout = std::chrono::seconds(15);

PgPoolOptions PgOptions(const Config& config) {
    PgPoolOptions o;
    o.dsn = config.postgres.dsn;
    o.size = config.postgres.pool_size;
    o.application_name = "rooms-" + config.role + "-" + std::to_string(config.node_id);
    return o;
}

RedisOptions RedisPoolOptions(const Config& config) {
    RedisOptions o;
    o.address = config.redis.address;
    o.password = config.redis.password;
    o.pool_size = config.redis.pool_size;
    o.client_name = "rooms-" + config.role + "-" + std::to_string(config.node_id);
    return o;
}

// The dead-letter topic carries a trickle (records no gateway produced), read by an operator: one partition
// keeps it in the order the records were refused.
constexpr int kDeadLetterPartitions = 1;

struct TopicSpec {
    std::string name;
    int partitions;
};

// The messages topic and its dead-letter topic.
std::vector<TopicSpec> Topics(const Config& config) {
    return {{config.kafka.topic, config.kafka.partitions}, {config.kafka.dlq_topic, kDeadLetterPartitions}};
}

void EnsureTopic(const Config& config) {
    if (!config.kafka.create_topic) return;
    for (const TopicSpec& topic : Topics(config)) {
        auto created = kafka::CreateTopic(config.kafka.brokers, topic.name, topic.partitions, kTopicTimeout);
        if (!created) {
            spdlog::warn("kafka: could not create topic {}: {}", topic.name, created.error().message);
        } else if (*created == kafka::TopicCreation::kCreated) {
            spdlog::info("kafka: created topic {} with {} partitions", topic.name, topic.partitions);
        }
    }
}

ReadinessCheck Check(std::string name, std::function<std::optional<std::string>()> fn) {
    return ReadinessCheck{std::move(name), std::move(fn)};
}

// A check whose failure degrades readiness without failing it.
ReadinessCheck Optional(std::string name, std::function<std::optional<std::string>()> fn) {
    return ReadinessCheck{std::move(name), std::move(fn), false};
}

/// Calls `fn` every `period` on its own thread until destroyed.
class Ticker {
  public:
    Ticker(std::chrono::milliseconds period, std::function<void()> fn)
        : thread_([this, period, fn = std::move(fn)] {
              std::unique_lock lock(mu_);
              while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
                  lock.unlock();
                  fn();
                  lock.lock();
              }
          }) {}
    ~Ticker() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace

int RunWebsocketGateway(const Config& config) {
    InitCrypto();
    PgPool pg(PgOptions(config));
    PgUserStore users(pg);
    PgRefreshTokenStore tokens(pg);
    PgRoomStore room_store(pg);
    PgMessageStore messages(pg);

    RedisPool redis(RedisPoolOptions(config));
    RedisHistoryCache history(redis, RedisHistoryOptions{config.redis.key_prefix, config.chat.history_size});
    RedisPresence presence(
        redis, RedisPresenceOptions{config.redis.key_prefix, std::chrono::seconds(config.redis.presence_ttl_s)});
    // This instance's connections stay in Redis only while it keeps refreshing them.
    Ticker refresh_presence(std::chrono::milliseconds(config.redis.presence_ttl_s * 1000 / 3), [&presence] {
        try {
            presence.RefreshAll();
        } catch (const std::exception& e) {
            spdlog::warn("presence: refresh failed: {}", e.what());
        }
    });

    EnsureTopic(config);
    kafka::KafkaBusOptions bus_options;
    bus_options.brokers = config.kafka.brokers;
    bus_options.topic = config.kafka.topic;
    bus_options.linger_ms = config.kafka.linger_ms;
    bus_options.client_id = "rooms-gateway-" + std::to_string(config.node_id);
    kafka::KafkaBus bus(bus_options);

    // Every gateway reads the whole topic for itself and pushes each message to its local members.
    RoomHub hub;
    // Messages fanned out but not yet stored by a consumer still belong in a joiner's history.
    RecentOverlay recent(history, hub,
                         RecentOverlayOptions{config.kafka.recent_window_ms ? config.chat.history_size : 0,
                                              std::chrono::milliseconds(config.kafka.recent_window_ms)});
    kafka::KafkaFanoutOptions fanout_options;
    fanout_options.brokers = config.kafka.brokers;
    fanout_options.topic = config.kafka.topic;
    fanout_options.client_id = "rooms-gateway-fanout-" + std::to_string(config.node_id);
    kafka::KafkaFanout fanout(fanout_options, recent);
    fanout.Start();

    IdGenerator ids(config.node_id);
    std::vector<ReadinessCheck> readiness{
        Check("postgres", [&pg] { return pg.Ping(); }),
        // Without Redis a gateway still chats and reads history from PostgreSQL; only presence is unknown.
        Optional("redis", [&redis] { return redis.Ping(); }),
        Check("kafka producer", [&bus] { return bus.Health(); }),
        Check("kafka fan-out", [&fanout] { return fanout.Health(); }),
    };
    ServeGateway(
        config, "websocket",
        GatewayBackends{users, tokens, room_store, messages, bus, presence, recent, hub, ids, std::move(readiness)});

    // Connections are closed and their leave notices published: deliver what is in flight, then stop.
    if (!bus.Flush(std::chrono::seconds(5))) spdlog::warn("kafka: messages still in flight at shutdown");
    bus.Close(std::chrono::seconds(1));
    fanout.Stop();
    spdlog::info("stopped");
    return 0;
}

int RunConsumer(const Config& config) {
    PgPool pg(PgOptions(config));
    PgMessageStore messages(pg);
    RedisPool redis(RedisPoolOptions(config));
    RedisHistoryCache history(redis, RedisHistoryOptions{config.redis.key_prefix, config.chat.history_size});

    EnsureTopic(config);
    kafka::KafkaPersisterOptions options;
    options.brokers = config.kafka.brokers;
    options.topic = config.kafka.topic;
    options.dlq_topic = config.kafka.dlq_topic;
    options.group = config.kafka.consumer_group;
    options.client_id = "rooms-consumer-" + std::to_string(config.node_id);
    options.batch_size = config.consumer.batch_size;
    options.batch_wait = std::chrono::milliseconds(config.consumer.batch_wait_ms);
    // PostgreSQL is the truth: a batch whose Redis write fails is still committed (see BestEffortHistory).
    BestEffortHistory history_writer(history);
    kafka::KafkaPersister persister(options, messages,
                                    [&history_writer](std::span<const Message> batch) { history_writer.Write(batch); });
    persister.Start();

    ServeProbes(config, "consumer",
                {Check("postgres", [&pg] { return pg.Ping(); }), Optional("redis", [&redis] { return redis.Ping(); }),
                 Optional("history cache", [&history_writer] { return history_writer.Health(); }),
                 Check("kafka consumer", [&persister] { return persister.Health(); })});

    persister.Stop();  // finishes and commits the batch in hand
    const auto stats = persister.Stats();
    spdlog::info("stopped: {} messages in {} batches written, {} records moved to dead-letter topic {}",
                 stats.messages_written, stats.batches, stats.dead_letters, config.kafka.dlq_topic);
    return 0;
}

int RunMigrate(const Config& config, const std::string& direction, int steps) {
    const auto dir = FindMigrationsDir();
    if (dir.empty()) throw std::runtime_error("migrations/postgres not found beside the binary or here");
    const int applied =
        MigratePostgres(config.postgres.dsn, direction == "up" ? MigrationDirection::kUp : MigrationDirection::kDown,
                        dir, std::nullopt, steps);
    spdlog::info("migrate {}: {} step(s) applied", direction, applied);
    return 0;
}

int RunCreateTopic(const Config& config) {
    int status = 0;
    for (const TopicSpec& topic : Topics(config)) {
        auto created = kafka::CreateTopic(config.kafka.brokers, topic.name, topic.partitions, kTopicTimeout);
        if (!created) {
            spdlog::error("kafka: could not create topic {}: {}", topic.name, created.error().message);
            status = 1;
            continue;
        }
        spdlog::info("kafka: topic {} {} ({} partitions requested)", topic.name,
                     *created == kafka::TopicCreation::kCreated ? "created" : "already exists", topic.partitions);
    }
    return status;
}

}  // namespace rooms
