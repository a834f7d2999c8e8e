// The modules of the seed's V2 services — `websocket` (app-websocket) and `consumer` (app-consumer) — on
// PostgreSQL, Redis and Kafka; and the `migrate` and `topic` commands.

#include <spdlog/spdlog.h>

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
#include "adapters/redis/redis_revocations.h"
#include "app/modules.h"
#include "common/ticker.h"
#include "services/batch_persister.h"

namespace rooms {

namespace {

constexpr auto kTopicTimeout = std::chrono::seconds(15);
// The dead-letter topic carries a trickle (records no gateway produced), read by an operator: one partition keeps it
// in the order the records were refused.
constexpr int kDeadLetterPartitions = 1;

/// "rooms-<what>-<node id>": how this process names itself to PostgreSQL, Redis (what: the role) and Kafka.
std::string ClientName(const std::string& what, const Config& c) {
    return "rooms-" + what + "-" + std::to_string(c.node_id);
}

struct TopicSpec {
    std::string name;
    int partitions;
};

// The messages topic and its dead-letter topic.
std::vector<TopicSpec> Topics(const Config& c) {
    return {{c.kafka.topic, c.kafka.partitions}, {c.kafka.dlq_topic, kDeadLetterPartitions}};
}

void EnsureTopics(const Config& c) {
    if (!c.kafka.create_topic) return;
    for (const TopicSpec& topic : Topics(c)) {
        auto created = kafka::CreateTopic(c.kafka.brokers, topic.name, topic.partitions, kTopicTimeout);
        if (!created) {
            spdlog::warn("kafka: could not create topic {}: {}", topic.name, created.error().message);
        } else if (*created == kafka::TopicCreation::kCreated) {
            spdlog::info("kafka: created topic {} with {} partitions", topic.name, topic.partitions);
        }
    }
}

PgPoolOptions PoolOptions(const Config& c, Metrics& metrics) {
    PgPoolOptions o;
    o.postgres = c.postgres;
    o.application_name = ClientName(c.role, c);
    o.metrics = PoolMetrics::From(metrics, "postgres");
    return o;
}

struct Postgres {
    Postgres(const Config& c, Metrics& metrics)
        : pool(PoolOptions(c, metrics)), users(pool), tokens(pool), rooms(pool), messages(pool) {}
    PgPool pool;
    PgUserStore users;
    PgRefreshTokenStore tokens;
    PgRoomStore rooms;
    PgMessageStore messages;
};

RedisOptions PoolOptions(const RedisSettings& redis, std::string client_name, Metrics& metrics,
                         const std::string& pool_label = "redis") {
    RedisOptions o;
    o.redis = redis;
    o.client_name = std::move(client_name);
    o.metrics = PoolMetrics::From(metrics, pool_label);
    return o;
}

struct Redis {
    Redis(const Config& c, Metrics& metrics)
        : pool(PoolOptions(c.redis, ClientName(c.role, c), metrics)),
          history(pool, RedisHistoryOptions{c.redis.key_prefix, c.chat.history_size}),
          presence(pool, RedisPresenceOptions{c.redis.key_prefix, std::chrono::seconds(c.redis.presence_ttl_s)}),
          // This instance's connections stay in Redis only while it keeps refreshing them.
          refresh_presence(std::chrono::milliseconds(c.redis.presence_ttl_s * 1000 / 3), [this] {
              try {
                  presence.RefreshAll();
              } catch (const std::exception& e) {
                  spdlog::warn("presence: refresh failed: {}", e.what());
              }
          }) {}
    RedisPool pool;
    RedisHistoryCache history;
    RedisPresence presence;
    Ticker refresh_presence;
};

struct KafkaProducer {
    KafkaProducer(const Config& c, Metrics& metrics) : bus(BusOptions(c, metrics)) {}
    // Connections are closed and their leave notices published: deliver what is in flight, then stop.
    ~KafkaProducer() {
        if (!bus.Flush(std::chrono::seconds(5))) spdlog::warn("kafka: messages still in flight at shutdown");
        bus.Close(std::chrono::seconds(1));
    }
    static kafka::KafkaBusOptions BusOptions(const Config& c, Metrics& metrics) {
        kafka::KafkaBusOptions o;
        o.kafka = c.kafka;
        o.client_id = ClientName("gateway", c);
        o.metrics = kafka::KafkaBusMetrics::From(metrics);
        return o;
    }
    kafka::KafkaBus bus;
};

struct KafkaFanout {
    KafkaFanout(const Config& c, RoomHub& hub, const TimeSource& time)
        // Messages fanned out but not yet stored by a consumer still belong in a joiner's history.
        : recent(hub,
                 RecentOverlayOptions{c.kafka.recent_window_ms ? c.chat.history_size : 0,
                                      std::chrono::milliseconds(c.kafka.recent_window_ms), 200'000},
                 time),
          fanout(FanoutOptions(c), recent) {
        fanout.Start();
    }
    ~KafkaFanout() { fanout.Stop(); }
    static kafka::KafkaFanoutOptions FanoutOptions(const Config& c) {
        kafka::KafkaFanoutOptions o;
        o.kafka = c.kafka;
        o.client_id = ClientName("gateway-fanout", c);
        return o;
    }
    RecentOverlay recent;
    kafka::KafkaFanout fanout;
};

struct KafkaConsumer {
    KafkaConsumer(const Config& c, MessageStore& store, HistoryCache& cache, Metrics& metrics, Tracer& tracer)
        : persister(store, cache, &tracer, {"postgres insert", "redis append"}),
          consumer(ConsumerOptions(c, metrics), persister) {
        consumer.Start();
    }
    ~KafkaConsumer() {
        consumer.Stop();  // finishes and commits the batch in hand
        const auto stats = consumer.Stats();
        spdlog::info("stopped: {} messages in {} batches written, {} records moved to the dead-letter topic",
                     stats.messages_written, stats.batches, stats.dead_letters);
    }
    static kafka::KafkaPersisterOptions ConsumerOptions(const Config& c, Metrics& metrics) {
        kafka::KafkaPersisterOptions o;
        o.kafka = c.kafka;
        o.consumer = c.consumer;
        o.client_id = ClientName("consumer", c);
        o.metrics = kafka::KafkaPersisterMetrics::From(metrics);
        return o;
    }
    // PostgreSQL is the truth: a batch whose Redis write fails is still committed (see BatchPersister).
    BatchPersister persister;
    kafka::KafkaPersister consumer;
};

}  // namespace

void InitPostgres(Process& p) {
    auto& pg = p.Own(std::make_unique<Postgres>(p.config(), p.metrics));
    p.ports.users = &pg.users;
    p.ports.tokens = &pg.tokens;
    p.ports.rooms = &pg.rooms;
    p.ports.messages = &pg.messages;
    p.readiness.push_back(Required("postgres", [&pg] { return pg.pool.Health(); }));
}

void InitRedis(Process& p) {
    auto& r = p.Own(std::make_unique<Redis>(p.config(), p.metrics));
    p.ports.history = &r.history;
    p.ports.presence = &r.presence;
    // Without Redis a gateway still chats and reads history from PostgreSQL; only presence is unknown.
    p.readiness.push_back(Optional("redis", [&r] { return r.pool.Health(); }));
}

void InitRedisRevocations(Process& p) {
    const Config& c = p.config();
    SessionRegistry& sessions = p.Require(p.ports.sessions, "the gateway's sessions", "redis-revocations");
    RedisRevocationOptions options;
    options.redis = PoolOptions(c.redis, ClientName("revocations", c), p.metrics, "redis-revocations");
    // Publishes on a pool of its own; subscribes on a connection of its own.
    struct Revocations {
        Revocations(RedisRevocationOptions o, SessionRegistry& to)
            : pool(o.redis), bus(pool, std::move(o), [&to](const std::string& session) { to.Revoke(session); }) {}
        RedisPool pool;
        RedisRevocationBus bus;
    };
    auto& r = p.Own(std::make_unique<Revocations>(std::move(options), sessions));
    p.ports.revocations = &r.bus;
    // Without it a revoked session's sockets on other gateways close at their token's expiry instead.
    p.readiness.push_back(Optional("session revocations", [&r] { return r.bus.Health(); }));
}

void InitKafkaProducer(Process& p) {
    EnsureTopics(p.config());
    auto& k = p.Own(std::make_unique<KafkaProducer>(p.config(), p.metrics));
    p.ports.bus = &k.bus;
    p.metrics.AddObservedGauge("rooms_kafka_produce_in_flight", "Chat messages produced and not yet acknowledged.",
                               [&k] { return static_cast<double>(k.bus.InFlight()); });
    p.ports.ids = &p.Own(std::make_unique<IdGenerator>(p.config().node_id));
    p.readiness.push_back(Required("kafka producer", [&k] { return k.bus.Health(); }));
}

void InitKafkaFanout(Process& p) {
    // Every gateway reads the whole topic for itself and pushes each message to its local members.
    auto& f = p.Own(std::make_unique<KafkaFanout>(
        p.config(), p.Require(p.ports.hub, "the gateway's hub", "kafka-fanout"), p.time()));
    p.ports.recent = &f.recent;
    p.readiness.push_back(Required("kafka fan-out", [&f] { return f.fanout.Health(); }));
}

void InitKafkaPersister(Process& p) {
    EnsureTopics(p.config());
    auto& k = p.Own(std::make_unique<KafkaConsumer>(
        p.config(), p.Require(p.ports.messages, "a message store", "kafka-persister"),
        p.Require(p.ports.history, "a history cache", "kafka-persister"), p.metrics, *p.tracer));
    // The persister's own counts, read at each scrape.
    const auto stat = [&k](std::uint64_t kafka::PersisterStats::*field) {
        return [&k, field] { return static_cast<double>(k.consumer.Stats().*field); };
    };
    p.metrics.AddObservedCounter("rooms_consumer_batches_total", "Batches the consumer wrote and committed.",
                                 stat(&kafka::PersisterStats::batches));
    p.metrics.AddObservedCounter("rooms_consumer_messages_written_total", "Messages the consumer stored.",
                                 stat(&kafka::PersisterStats::messages_written));
    p.metrics.AddObservedCounter("rooms_consumer_dead_letters_total",
                                 "Records moved to the dead-letter topic (undecodable or refused for good).",
                                 stat(&kafka::PersisterStats::dead_letters));
    p.metrics.AddObservedCounter("rooms_consumer_write_failures_total",
                                 "Failed batch writes to PostgreSQL or Redis (each batch is retried).",
                                 stat(&kafka::PersisterStats::write_failures));
    p.metrics.AddObservedCounter("rooms_consumer_commit_failures_total", "Failed offset commits.",
                                 stat(&kafka::PersisterStats::commit_failures));
    p.metrics.AddObservedGauge("rooms_consumer_assigned_partitions", "Partitions the group gave this consumer.",
                               [&k] { return static_cast<double>(k.consumer.AssignedPartitions()); });
    p.readiness.push_back(Optional("history cache", [&k] { return k.persister.Health(); }));
    p.readiness.push_back(Required("kafka consumer", [&k] { return k.consumer.Health(); }));
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
