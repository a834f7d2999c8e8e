// persist (distributed mode): how fast the consumers move a backlog from Kafka into PostgreSQL (and Redis).
// 1. creates --rooms rooms through the API, 2. runs --before (stops the consumers), 3. produces K messages of
// those rooms, round robin, to the topic with the gateway's own producer (KafkaBus, same record format), 4. runs
// --start-cmd in the background (starts the consumers) and 5. polls count(*) of the rooms' rows until all K are there.

#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "adapters/kafka/kafka_bus.h"
#include "common/id_generator.h"
#include "domain/time_source.h"
#include "net.h"
#include "report.h"
#include "scenarios.h"

namespace rooms_bench {

using namespace std::chrono_literals;

namespace {

std::string EnvOr(const std::string& value, const char* env) {
    if (!value.empty()) return value;
    const char* v = std::getenv(env);
    return v ? v : "";
}

/// Starts `sh -c cmd` in the background; returns its pid (-1 on failure).
pid_t Spawn(const std::string& cmd) {
    const pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

/// The number of rows of the rooms, -1 on error (message on stderr).
std::int64_t CountRows(PGconn* pg, const std::vector<std::int64_t>& rooms) {
    std::string ids = "{";
    for (auto id : rooms) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
    ids += "}";
    const char* params[] = {ids.c_str()};
    PGresult* r = PQexecParams(pg, "SELECT count(*) FROM messages WHERE room_id = ANY($1::int8[])", 1, nullptr, params,
                               nullptr, nullptr, 0);
    std::int64_t n = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        n = std::stoll(PQgetvalue(r, 0, 0));
    else
        std::cerr << "persist: count failed: " << PQerrorMessage(pg);
    PQclear(r);
    return n;
}

}  // namespace

int RunPersist(const CommonOptions& common, const PersistOptions& o) {
    const std::string brokers = EnvOr(o.brokers, "ROOMS_KAFKA_BROKERS");
    const std::string dsn = EnvOr(o.pg_dsn, "ROOMS_POSTGRES_DSN");
    if (brokers.empty() || dsn.empty() || o.messages < 1 || o.rooms < 1) {
        std::cerr << "persist: needs --brokers (or ROOMS_KAFKA_BROKERS), --pg-dsn (or ROOMS_POSTGRES_DSN), "
                     "--messages > 0 and --rooms > 0\n";
        return 1;
    }
    const Target target = Target::Parse(common.url, common.api_prefix);
    const std::string tag = RunTag();
    const auto sessions = RegisterAndLogin(target, "bench_" + tag + "_", 1);
    const auto rooms = CreateRooms(target, sessions[0].access_token, "persist " + tag, o.rooms, 1);

    PGconn* pg = PQconnectdb(dsn.c_str());
    if (PQstatus(pg) != CONNECTION_OK) {
        std::cerr << "persist: cannot connect to PostgreSQL: " << PQerrorMessage(pg);
        PQfinish(pg);
        return 1;
    }

    if (!o.before_cmd.empty()) {
        std::cerr << "persist: running --before: " << o.before_cmd << "\n";
        if (const int rc = std::system(o.before_cmd.c_str()); rc != 0)
            std::cerr << "persist: --before exited with " << rc << " (going on)\n";
    }

    // Preload the backlog.
    std::atomic<std::int64_t> acked{0}, failed{0};
    const auto preload_start = SteadyClock::now();
    {
        rooms::kafka::KafkaBusOptions bo;
        bo.kafka.brokers = brokers;
        bo.kafka.topic = o.topic;
        bo.kafka.linger_ms = 20;
        bo.kafka.message_timeout_ms = 60000;
        bo.kafka.queue_max_messages = 0;
        bo.client_id = "rooms-bench";
        rooms::kafka::KafkaBus bus(bo);
        rooms::IdGenerator ids(1000);
        const std::string padding(static_cast<std::size_t>(std::max(0, o.content_bytes - 20)), 'x');
        for (int i = 0; i < o.messages; ++i) {
            rooms::Message m;
            m.id = ids.Next();
            m.room_id = rooms[static_cast<std::size_t>(i % o.rooms)];
            m.user_id = sessions[0].user_id;
            m.nickname = sessions[0].nickname;
            m.content = "persist " + std::to_string(i) + " " + padding;
            m.time_created = rooms::RealTimeSource::Instance().Now();
            bus.Publish(std::move(m), [&](std::optional<rooms::Error> e) { ++(e ? failed : acked); });
        }
        bus.Flush(120s);
    }
    const double preload_s = std::chrono::duration<double>(SteadyClock::now() - preload_start).count();
    std::cerr << "persist: preloaded " << acked << " messages (" << failed << " failed) in " << preload_s << " s\n";

    const std::int64_t before = CountRows(pg, rooms);
    ServerStats server(common.server_pids);
    server.Begin();
    const auto start = SteadyClock::now();
    pid_t child = -1;
    if (!o.start_cmd.empty()) {
        std::cerr << "persist: running --start-cmd in the background: " << o.start_cmd << "\n";
        child = Spawn(o.start_cmd);
    }
    std::int64_t rows = before;
    std::optional<SteadyClock::time_point> first_row, done;
    std::int64_t rows_at_first = 0;
    const auto deadline = start + std::chrono::milliseconds(static_cast<int>(o.timeout_s * 1000));
    while (SteadyClock::now() < deadline) {
        rows = CountRows(pg, rooms);
        if (rows < 0) break;
        if (!first_row && rows > 0) {
            first_row = SteadyClock::now();
            rows_at_first = rows;
        }
        if (rows >= acked) {
            done = SteadyClock::now();
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    server.End();
    PQfinish(pg);
    if (child > 0) {
        int status = 0;
        for (int i = 0; i < 1200 && waitpid(child, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
    }

    Report report("persist");
    report.Add("messages", o.messages);
    report.Add("rooms", o.rooms);
    report.Add("preloaded", acked.load());
    report.Add("preload_failed", failed.load());
    report.Add("preload_s", preload_s, "s");
    report.Add("preload_per_s", preload_s > 0 ? static_cast<double>(acked) / preload_s : 0.0, "msg/s");
    report.Add("rows", rows);
    if (done) {
        const double total_s = std::chrono::duration<double>(*done - start).count();
        const double drain_s = std::chrono::duration<double>(*done - *first_row).count();
        report.Add("start_to_all_rows_s", total_s, "s");
        report.Add("rows_per_s_incl_start", static_cast<double>(acked) / total_s, "rows/s");
        report.Add("first_row_to_all_s", drain_s, "s");
        report.Add("rows_per_s", drain_s > 0 ? static_cast<double>(acked - rows_at_first) / drain_s : 0.0, "rows/s");
    } else {
        report.Add("timed_out", true);
    }
    server.AddTo(report);
    report.Print();
    int rc = (!done || failed > 0) ? 2 : 0;
    if (!common.json_file.empty() && !report.WriteJson(common.json_file)) rc = rc ? rc : 1;
    return rc;
}

}  // namespace rooms_bench
