#pragma once

// The bench's scenarios. Each runs against a live server, prints one summary table and returns the process
// exit code: 0 when the run completed, 1 when it could not run, 2 when it ran with losses or errors
// (messages missing, out of order, failed requests), so a smoke run can gate on it.

#include <string>
#include <vector>

namespace rooms_bench {

struct CommonOptions {
    std::string url = "http://127.0.0.1:8080";
    std::string api_prefix;
    int threads = 2;               // io_context threads of the bench
    std::string json_file;         // --json: the figures as JSON
    std::vector<int> server_pids;  // --server-pid, repeatable
    double duration_s = 10;        // measured phase
    std::string server = "rooms";  // the driver (driver.h): rooms | centrifugo
    std::string
        centrifugo_secret;  // HMAC secret of Centrifugo's connection tokens (default: $ROOMS_BENCH_CENTRIFUGO_SECRET)
    std::string centrifugo_path = "/connection/websocket";
};

struct FanoutOptions {
    int rooms = 10;
    int members = 100;             // connections per room
    int senders = 10;              // in total, spread over the rooms
    double rate = 1000;            // publishes per second, all senders together
    int users = 8;                 // accounts behind the connections (logins are Argon2id-expensive)
    int message_bytes = 0;         // pad the content to this size (0: no padding)
    double grace_s = 3;            // drain time after the last send
    int connect_concurrency = 64;  // WebSocket handshakes in flight per thread
};

struct ConnectionsOptions {
    int connections = 10000;
    int per_room = 10;                  // connections per room (joins are broadcast to the room)
    double hold_s = 5;                  // how long to hold them after every one is open
    std::string source_addrs = "auto";  // comma-separated local addresses to bind; auto: 127.0.0.1-8 on loopback
    int connect_concurrency = 256;      // handshakes in flight per thread
};

struct PersistOptions {
    int messages = 100000;
    int rooms = 12;  // spread over rooms, hence over the topic's partitions and the consumers
    int content_bytes = 100;
    std::string brokers;  // default: $ROOMS_KAFKA_BROKERS
    std::string topic = "messages";
    std::string pg_dsn;      // default: $ROOMS_POSTGRES_DSN
    std::string before_cmd;  // run before the preload (stop the consumers)
    std::string start_cmd;   // run after the preload, in the background (start the consumers)
    double timeout_s = 120;  // give up waiting for PostgreSQL after this
};

struct HttpOptions {
    std::string op = "login";  // login | register | rooms
    double rate = 50;          // requests per second
    int users = 8;             // accounts for login
    int max_in_flight = 2000;  // beyond this a scheduled request is counted as dropped
};

int RunFanout(const CommonOptions& common, const FanoutOptions& options);
int RunConnections(const CommonOptions& common, const ConnectionsOptions& options);
int RunPersist(const CommonOptions& common, const PersistOptions& options);
int RunHttp(const CommonOptions& common, const HttpOptions& options);

}  // namespace rooms_bench
