// rooms-bench: a load generator for the Rooms API (HTTP + WebSocket). See docs/BENCHMARKS.md.

#include <CLI/CLI.hpp>
#include <csignal>
#include <exception>
#include <iostream>

#include "scenarios.h"

namespace {

void AddCommon(CLI::App* app, rooms_bench::CommonOptions& c) {
    app->add_option("--url", c.url, "server base URL, http://HOST:PORT")->capture_default_str();
    app->add_option("--api-prefix", c.api_prefix, "path prefix of the API: \"\" or /api (behind nginx)");
    app->add_option("--threads", c.threads, "io threads of the bench")->capture_default_str();
    app->add_option("--json", c.json_file, "also write the figures to this JSON file");
    app->add_option("--server-pid", c.server_pids, "a server process to sample /proc of (repeatable)");
    app->add_option("--duration", c.duration_s, "seconds of the measured phase")->capture_default_str();
    app->add_option("--server", c.server, "the server's protocol (fanout, connections): rooms | centrifugo")
        ->capture_default_str();
    app->add_option("--centrifugo-secret", c.centrifugo_secret,
                    "HMAC secret of Centrifugo's connection tokens (default $ROOMS_BENCH_CENTRIFUGO_SECRET)");
    app->add_option("--centrifugo-path", c.centrifugo_path, "Centrifugo's WebSocket endpoint")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"rooms-bench: open-loop load generator for the Rooms API"};
    app.require_subcommand(1);

    rooms_bench::CommonOptions common;

    rooms_bench::FanoutOptions fanout;
    auto* f = app.add_subcommand("fanout", "R rooms x M members, S senders at a fixed total rate; e2e latency");
    AddCommon(f, common);
    f->add_option("--rooms", fanout.rooms, "rooms")->capture_default_str();
    f->add_option("--members", fanout.members, "connections per room")->capture_default_str();
    f->add_option("--senders", fanout.senders, "senders in total (a multiple of --rooms)")->capture_default_str();
    f->add_option("--rate", fanout.rate, "publishes per second, all senders together")->capture_default_str();
    f->add_option("--users", fanout.users, "accounts behind the connections")->capture_default_str();
    f->add_option("--message-bytes", fanout.message_bytes, "pad each content to this size")->capture_default_str();
    f->add_option("--grace", fanout.grace_s, "seconds to wait for the last deliveries")->capture_default_str();
    f->add_option("--connect-concurrency", fanout.connect_concurrency, "handshakes in flight per thread")
        ->capture_default_str();

    rooms_bench::ConnectionsOptions conns;
    auto* c = app.add_subcommand("connections", "open N idle WebSockets; connect rate and server RSS per connection");
    AddCommon(c, common);
    c->add_option("--connections", conns.connections, "how many")->capture_default_str();
    c->add_option("--per-room", conns.per_room, "connections per room")->capture_default_str();
    c->add_option("--hold", conns.hold_s, "seconds to hold them open")->capture_default_str();
    c->add_option("--source-addrs", conns.source_addrs, "local addresses to bind: a,b,c | auto | none")
        ->capture_default_str();
    c->add_option("--connect-concurrency", conns.connect_concurrency, "handshakes in flight per thread")
        ->capture_default_str();

    rooms_bench::PersistOptions persist;
    auto* p = app.add_subcommand("persist", "cluster: Kafka backlog -> PostgreSQL rows per second");
    AddCommon(p, common);
    p->add_option("--messages", persist.messages, "backlog size")->capture_default_str();
    p->add_option("--rooms", persist.rooms, "rooms the backlog is spread over (round robin)")->capture_default_str();
    p->add_option("--content-bytes", persist.content_bytes, "content size")->capture_default_str();
    p->add_option("--brokers", persist.brokers, "Kafka bootstrap servers (default $ROOMS_KAFKA_BROKERS)");
    p->add_option("--topic", persist.topic, "Kafka topic")->capture_default_str();
    p->add_option("--pg-dsn", persist.pg_dsn, "PostgreSQL DSN (default $ROOMS_POSTGRES_DSN)");
    p->add_option("--before", persist.before_cmd, "shell command run before the preload (stop the consumers)");
    p->add_option("--start-cmd", persist.start_cmd, "shell command run after it, in the background (start them)");
    p->add_option("--timeout", persist.timeout_s, "seconds to wait for every row")->capture_default_str();

    rooms_bench::HttpOptions http;
    auto* h = app.add_subcommand("http", "one API call at a fixed rate: login | register | rooms");
    AddCommon(h, common);
    h->add_option("--op", http.op, "login | register | rooms")->capture_default_str();
    h->add_option("--rate", http.rate, "requests per second")->capture_default_str();
    h->add_option("--users", http.users, "accounts to log in with")->capture_default_str();
    h->add_option("--max-in-flight", http.max_in_flight, "requests in flight before dropping")->capture_default_str();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*f) return rooms_bench::RunFanout(common, fanout);
        if (*c) return rooms_bench::RunConnections(common, conns);
        if (*p) return rooms_bench::RunPersist(common, persist);
        if (*h) return rooms_bench::RunHttp(common, http);
    } catch (const std::exception& e) {
        std::cerr << "rooms-bench: " << e.what() << "\n";
        return 1;
    }
    return 1;
}
