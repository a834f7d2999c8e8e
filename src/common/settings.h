#pragma once

// Every setting of a `rooms` process, each declared once: its type, name, default, check and help (the way
// ClickHouse's DECLARE lists work). The structs below, the YAML/environment loader, `rooms settings` and the
// table in docs/CONFIGURATION.md are all generated from these lists; components take the section they need
// (`const ChatSettings&`) and keep no defaults of their own.
//
// X(type, name, default, check, help): the key is "<section>.<name>" ("<name>" for the top level), its
// environment variable ROOMS_ + the key upper-cased with dots as underscores. Checks (common/config.h): Any(),
// NonEmpty(), Range(min, max), OneOf({...}), HostPort(), MinBytes(n), and Secret(check) for values that must
// never be printed (they belong in the environment, not in a file in the repository).

#include <cstdint>
#include <string>

#include "common/message_codec.h"

// clang-format off

#define ROOMS_TOP_SETTINGS(X) \
    X(std::string, role, "all", OneOf({"all", "websocket", "consumer"}), \
      "what this process runs: `all` (everything, on the embedded store) | `websocket` | `consumer`") \
    X(std::string, listen, "0.0.0.0:8080", HostPort(), "HOST:PORT for HTTP and WebSocket (the consumer: its probes)") \
    X(std::string, data_dir, "./data", Any(), "directory of the SQLite database `rooms.db` and the generated `jwt.key` (role `all`)") \
    X(std::string, log_level, "info", OneOf({"trace", "debug", "info", "warn", "error"}), \
      "`trace` | `debug` | `info` | `warn` | `error`") \
    X(std::string, log_format, "text", OneOf({"text", "json"}), \
      "`text`: time, level, message; `json`: one object per line (time, level, role, node_id, host, pid, event, msg " \
      "and the message's key=value fields) for a log shipper") \
    X(int, io_threads, 0, Range(0, 256), "network threads; 0 = one per core") \
    X(int, worker_threads, 4, Range(1, 256), "threads for blocking store calls") \
    X(int, node_id, 0, Range(0, 1023), "0..1023, unique per instance; part of every message id") \
    X(int, shutdown_grace_s, 5, Range(1, 3600), \
      "on SIGTERM, how long open connections get to close (WebSockets: 1001) before they are cut")

#define ROOMS_HTTP_SETTINGS(X) \
    X(std::int64_t, body_limit_bytes, 65'536, Range(1024, 64 << 20), "largest request body (413 above)") \
    X(std::int64_t, header_limit_bytes, 16'384, Range(1024, 1 << 20), "largest request header block (431 above)") \
    X(int, request_timeout_s, 30, Range(1, 3600), \
      "time to read one whole request (headers and body) from its first byte; no other wait of a request exceeds it") \
    X(int, header_timeout_s, 10, Range(1, 3600), \
      "time a new connection has to send its first request's headers, and any request its headers once it began") \
    X(int, idle_timeout_s, 5, Range(1, 3600), "a keep-alive connection waiting for its next request is closed after this") \
    X(int, max_connections, 10000, Range(1, 10'000'000), \
      "open connections per process (HTTP and WebSocket); when full, the connection idle longest between requests " \
      "is closed to make room (as nginx reuses idle keep-alive connections), else the new one is refused") \
    X(int, max_connections_per_ip, 1000, Range(0, 10'000'000), \
      "TCP connections (HTTP and WebSocket) per peer address, counted at accept; one more is closed at once, so one " \
      "address cannot fill `http.max_connections`. Peers in `http.trusted_proxies` are exempt (0: no cap)") \
    X(std::string, static_dir, "", Any(), "web UI files served at `/`; empty: `web/dist` of the source tree beside the binary") \
    X(std::int64_t, static_cache_bytes, 32 << 20, Range(0, 1 << 30), \
      "web UI files read into memory at start, so serving one costs no disk read; files past this are read per " \
      "request. Changed files are served after a restart") \
    X(std::string, trusted_proxies, "", IpNetworkList(), \
      "comma-separated proxy addresses or CIDR blocks (`10.0.0.1`, `10.0.0.0/8`, `::1/128`) whose `X-Forwarded-For` " \
      "/ `X-Real-IP` / `X-Forwarded-Host` is believed; they are exempt from `http.max_connections_per_ip`") \
    X(std::int64_t, gzip_min_bytes, 1024, Range(0ll, 1ll << 30), \
      "JSON responses of the API at least this large are gzip-compressed for clients that send " \
      "`Accept-Encoding: gzip` (0: never)") \
    X(std::string, allowed_origins, "", Any(), \
      "comma-separated Origins (`https://host[:port]` or `host[:port]`) browsers may open room WebSockets from; " \
      "empty: the server's own host only; `*`: any. A handshake from another Origin gets 403; clients that send " \
      "no Origin (not browsers) are not affected")

#define ROOMS_TLS_SETTINGS(X) \
    X(std::string, cert_file, "", Any(), \
      "PEM certificate chain (the server's first, e.g. certbot's `fullchain.pem`); with `tls.key_file` the server " \
      "speaks only HTTPS/WSS (TLS 1.2 with ECDHE AEAD suites, TLS 1.3). Both empty: plain HTTP. Re-read on SIGHUP") \
    X(std::string, key_file, "", Any(), \
      "PEM private key of `tls.cert_file` (e.g. certbot's `privkey.pem`); must match it. Re-read on SIGHUP") \
    X(int, handshake_timeout_s, 10, Range(1, 600), "time a client has to complete the TLS handshake")

#define ROOMS_AUTH_SETTINGS(X) \
    X(std::string, jwt_secret, "", Secret(MinBytes(32)), \
      "HS256 key for access tokens, at least 32 bytes. Secret: set it in the environment") \
    X(std::string, jwt_secret_file, "", Any(), \
      "file holding the HS256 key; empty: `<data_dir>/jwt.key`, generated with 256 random bits (mode 0600) by role `all`") \
    X(int, access_token_ttl_s, 900, Range(10, 24 * 3600), "access token lifetime") \
    X(int, refresh_token_ttl_s, 30 * 24 * 3600, Range(60, 365 * 24 * 3600), "refresh token lifetime (30 days)") \
    X(int, refresh_reuse_grace_s, 5, Range(0, 300), \
      "a spent refresh token presented again within this many seconds of its rotation gets a new pair of the same " \
      "session instead of revoking it (Auth0's reuse interval; the seed's web UI sends each refresh twice); 0: " \
      "every reuse revokes") \
    X(int, hash_threads, 2, Range(1, 64), "threads for Argon2id password hashing (19 MiB, t=2, p=1 each)")

#define ROOMS_RATE_LIMIT_SETTINGS(X) \
    X(double, rps, 10, Range(0.0, 1e9), "API requests per second per client IP; 0 = no limit") \
    X(double, burst, 20, Range(1.0, 1e9), "requests a client may make at once") \
    X(std::int64_t, max_tracked_keys, 100'000, Range(1, 100'000'000), \
      "client addresses (and users, for `chat.user_messages_per_s`) whose buckets are kept; beyond it the least " \
      "recently seen one is forgotten (it starts again with a full bucket)")

#define ROOMS_CHAT_SETTINGS(X) \
    X(int, history_size, 100, Range(0, 10000), "messages in the history frame sent on join") \
    X(std::int64_t, max_message_bytes, 4096, Range(1, static_cast<std::int64_t>(kMaxContentBytes)), \
      "largest message content in bytes (an error frame above); at most 65536, the limit of the PostgreSQL column, " \
      "so a gateway never accepts what the consumers cannot store") \
    X(std::int64_t, max_frame_bytes, 65'536, Range(1024, 16 << 20), \
      "largest WebSocket frame; above it the connection closes with 1009") \
    X(int, send_queue_messages, 1024, Range(1, 1'000'000), \
      "frames queued per connection before a slow client is closed (1008)") \
    X(int, ping_interval_s, 30, Range(1, 3600), "idle connections are pinged this often; dropped after twice this") \
    X(int, user_messages_per_s, 10, Range(0, 1'000'000), \
      "messages a user may send per second over all its connections to one gateway; more get an error frame and " \
      "are not sent (0: off)") \
    X(int, user_messages_burst, 30, Range(1, 1'000'000), "messages a user may send at once above that rate") \
    X(int, max_connections_per_user, 50, Range(0, 10'000'000), \
      "room WebSockets per user and gateway; one more is closed with 1008 and the reason (0: no cap)") \
    X(int, max_connections_per_ip, 1000, Range(0, 10'000'000), \
      "room WebSockets per client address and gateway (the address from `X-Forwarded-For` behind a trusted proxy); " \
      "one more is closed with 1008 (0: no cap)") \
    X(int, pending_wait_ms, 5000, Range(0, 600'000), \
      "scroll-back with a `before` a gateway accepted but no consumer stored yet waits this long for it, " \
      "rather than answering 404") \
    X(std::int64_t, history_cache_bytes, 64ll << 20, Range(0ll, 1ll << 40), \
      "memory for the join history of role `all` (the in-process cache), over all rooms: past it the least recently " \
      "used rooms are dropped and their next join reads the store (0: nothing is cached)") \
    X(int, user_rooms_per_min, 60, Range(0, 1'000'000), \
      "rooms a user may create per minute on one gateway; more get 429 with `Retry-After` (0: off)") \
    X(int, user_rooms_burst, 100, Range(1, 1'000'000), "rooms a user may create at once above that rate") \
    X(std::int64_t, max_rooms, 100'000, Range(0ll, 1ll << 40), \
      "rooms in all; creating one more gets 409 `room limit reached` (0: no cap). Concurrent creations may pass it " \
      "by as many as are in flight at once") \
    X(int, rooms_page_max, 1000, Range(1, 1'000'000), "largest `limit` of `GET /chat/rooms?limit=`") \
    X(int, presence_grace_ms, 3000, Range(0, 600'000), \
      "a user whose last connection to a room closes stays present this long: reconnecting meanwhile makes no " \
      "leave/join notices (0: notices at once)") \
    X(double, user_notices_per_s, 0.5, Range(0.0, 1e6), \
      "join/leave notices a user may cause per second on one gateway; a join over it is not announced, nor its " \
      "leave (0: no limit)") \
    X(int, user_notices_burst, 10, Range(1, 1'000'000), "join/leave notices a user may cause at once above that rate")

#define ROOMS_STORAGE_SETTINGS(X) \
    X(int, batch_size, 500, Range(1, 100000), \
      "most messages committed in one SQLite transaction (role `all`: a message is fanned out, and so echoed, once " \
      "its batch is committed; those arriving meanwhile form the next batch)") \
    X(int, max_pending_messages, 100'000, Range(1, 10'000'000), \
      "messages waiting for their commit (role `all`); beyond it a message is refused with an error frame, as " \
      "while the store fails") \
    X(std::string, sqlite_synchronous, "normal", OneOf({"normal", "full"}), \
      "SQLite `synchronous` (WAL journal): `normal` survives a crash of the process (kill -9) but may lose the last " \
      "commits on power loss; `full` also survives power loss, at an fsync per commit (docs/RELIABILITY.md)") \
    X(int, flush_interval_ms, 10, Range(0, 60'000), \
      "deprecated, no effect: role `all` commits a batch as soon as the previous one is done (group commit); " \
      "accepted so that configs written for the write-behind store still start")

#define ROOMS_POSTGRES_SETTINGS(X) \
    X(std::string, dsn, "postgresql://postgres@127.0.0.1:5432/rooms", Secret(Any()), \
      "libpq connection URI. Secret when it holds a password: set it in the environment") \
    X(int, pool_size, 4, Range(1, 256), "connections per process") \
    X(int, acquire_timeout_ms, 10'000, Range(1, 600'000), "longest wait for a free pooled connection") \
    X(int, connect_timeout_s, 5, Range(2, 600), "longest wait to open one connection (libpq's minimum is 2 s)") \
    X(int, statement_timeout_ms, 30'000, Range(0, 3'600'000), "server-side limit on one statement; 0 keeps the server's")

#define ROOMS_REDIS_SETTINGS(X) \
    X(std::string, address, "127.0.0.1:6379", HostPort(), "HOST:PORT") \
    X(std::string, password, "", Secret(Any()), "Redis password (secret)") \
    X(std::string, key_prefix, "rooms:", Any(), "prefix of every key") \
    X(int, pool_size, 4, Range(1, 256), "connections per process") \
    X(int, presence_ttl_s, 30, Range(2, 3600), "a killed gateway's connections vanish from `/clients` within this") \
    X(int, connect_timeout_ms, 1500, Range(1, 600'000), "longest wait to open a connection") \
    X(int, command_timeout_ms, 1500, Range(1, 600'000), "longest wait for a reply")

#define ROOMS_KAFKA_SETTINGS(X) \
    X(std::string, brokers, "127.0.0.1:9092", Any(), "comma-separated HOST:PORT bootstrap brokers") \
    X(std::string, topic, "messages", NonEmpty(), "topic of chat messages (key = room id)") \
    X(std::string, dlq_topic, "messages.dlq", NonEmpty(), \
      "dead-letter topic: records a consumer can never store (undecodable, unknown room, over a column's limit) go " \
      "there with headers `reason`, `source_topic`, `source_partition`, `source_offset`; must differ from " \
      "`kafka.topic`; created with 1 partition") \
    X(int, partitions, 6, Range(1, 1000), "partitions when the topic is created") \
    X(std::string, consumer_group, "rooms-consumer", NonEmpty(), "consumer group shared by the consumers") \
    X(bool, create_topic, true, Any(), "create the topic and the dead-letter topic at start when missing") \
    X(int, linger_ms, 0, Range(0, 1000), \
      "producer batching delay: 0 sends at once (librdkafka still batches under load; the seed waited up to 500 ms)") \
    X(int, message_timeout_ms, 5000, Range(1, 3'600'000), \
      "a message the brokers do not acknowledge within this is refused (its sender gets an error frame)") \
    X(int, queue_max_messages, 100000, Range(0, 10'000'000), \
      "messages a gateway holds for the brokers; a message beyond it is refused at once (0: unbounded)") \
    X(int, recent_window_ms, 30'000, Range(0, 600'000), \
      "a gateway adds what it fanned out this recently to join history and the newest scroll-back page until the " \
      "consumers stored it (0: off)") \
    X(int, statistics_interval_ms, 5000, Range(0, 3'600'000), \
      "how often librdkafka reports its statistics: the consumers' lag per partition at `/metrics` (0: off)")

#define ROOMS_CONSUMER_SETTINGS(X) \
    X(int, batch_size, 1000, Range(1, 100000), "messages written to PostgreSQL per statement") \
    X(int, batch_wait_ms, 20, Range(0, 10000), "longest wait to fill a batch") \
    X(int, retry_backoff_min_ms, 50, Range(1, 600'000), "wait after a failed write; doubles up to the maximum") \
    X(int, retry_backoff_max_ms, 5000, Range(1, 600'000), "longest wait between retries of a failed write") \
    X(int, dlq_timeout_ms, 10'000, Range(1, 600'000), \
      "longest wait for the brokers to take a batch's dead letters (the batch is retried otherwise)")

#define ROOMS_TRACING_SETTINGS(X) \
    X(std::string, endpoint, "", Any(), \
      "OTLP/HTTP traces endpoint, `http://HOST:PORT/v1/traces` (Jaeger, an OpenTelemetry Collector); empty: spans " \
      "are not recorded, yet `traceparent` is still passed on (HTTP → Kafka headers) and logged") \
    X(double, sample_ratio, 0.01, Range(0.0, 1.0), \
      "share of new traces recorded, decided from the trace id so every role decides alike; a `traceparent` from " \
      "the client keeps its own sampled flag") \
    X(int, queue_max_spans, 8192, Range(1, 1'000'000), \
      "finished spans waiting for export; past it new ones are dropped and counted (`rooms_trace_spans_total`)") \
    X(int, batch_max_spans, 512, Range(1, 100'000), "spans per export request") \
    X(int, flush_interval_ms, 1000, Range(10, 600'000), "a batch of spans is exported at least this often") \
    X(int, export_timeout_ms, 2000, Range(1, 600'000), \
      "longest wait for one export request (connect, send, answer); a batch that fails is dropped and counted")

// The sections: X(section, Type, title). The top level is not among them.
#define ROOMS_SETTING_SECTIONS(X) \
    X(http, HttpSettings, "HTTP server") \
    X(tls, TlsSettings, "TLS (HTTPS and WSS without a proxy in front)") \
    X(auth, AuthSettings, "Accounts and tokens") \
    X(rate_limit, RateLimitSettings, "Rate limit of the API") \
    X(chat, ChatSettings, "Chat") \
    X(storage, StorageSettings, "The embedded store (role `all`)") \
    X(postgres, PostgresSettings, "PostgreSQL (roles `websocket`, `consumer`)") \
    X(redis, RedisSettings, "Redis: presence and the history cache (roles `websocket`, `consumer`)") \
    X(kafka, KafkaSettings, "Kafka (roles `websocket`, `consumer`)") \
    X(consumer, ConsumerSettings, "The consumer role's persistence") \
    X(tracing, TracingSettings, "Traces (OTLP/HTTP to Jaeger)")

// clang-format on

#define ROOMS_SETTING_FIELD(type, name, default_value, check, help) type name = default_value;

namespace rooms {

struct HttpSettings {
    ROOMS_HTTP_SETTINGS(ROOMS_SETTING_FIELD)
};
struct TlsSettings {
    ROOMS_TLS_SETTINGS(ROOMS_SETTING_FIELD)
};
struct AuthSettings {
    ROOMS_AUTH_SETTINGS(ROOMS_SETTING_FIELD)
};
struct RateLimitSettings {
    ROOMS_RATE_LIMIT_SETTINGS(ROOMS_SETTING_FIELD)
};
struct ChatSettings {
    ROOMS_CHAT_SETTINGS(ROOMS_SETTING_FIELD)
};
struct StorageSettings {
    ROOMS_STORAGE_SETTINGS(ROOMS_SETTING_FIELD)
};
struct PostgresSettings {
    ROOMS_POSTGRES_SETTINGS(ROOMS_SETTING_FIELD)
};
struct RedisSettings {
    ROOMS_REDIS_SETTINGS(ROOMS_SETTING_FIELD)
};
struct KafkaSettings {
    ROOMS_KAFKA_SETTINGS(ROOMS_SETTING_FIELD)
};
struct ConsumerSettings {
    ROOMS_CONSUMER_SETTINGS(ROOMS_SETTING_FIELD)
};
struct TracingSettings {
    ROOMS_TRACING_SETTINGS(ROOMS_SETTING_FIELD)
};

/// Every setting of a `rooms` process. The defaults make `rooms serve` work with no configuration at all.
/// Sources, later ones winning: defaults < YAML file (--config) < ROOMS_* environment < command-line flags.
struct Config {
    ROOMS_TOP_SETTINGS(ROOMS_SETTING_FIELD)
#define ROOMS_SECTION_MEMBER(section, Type, title) Type section;
    ROOMS_SETTING_SECTIONS(ROOMS_SECTION_MEMBER)
#undef ROOMS_SECTION_MEMBER
};

}  // namespace rooms
