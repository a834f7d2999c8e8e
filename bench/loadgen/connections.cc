// connections: opens N idle room WebSockets, holds them, and reports the connect rate and what they cost the
// server in resident memory (VmRSS of each --server-pid before and after). The server's protocol is the driver's
// (driver.h): Rooms or Centrifugo.

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "driver.h"
#include "net.h"
#include "report.h"
#include "scenarios.h"

namespace rooms_bench {

using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

struct Conn {
    explicit Conn(asio::io_context& ioc) : ws(ioc) {}
    WsStream ws;
    beast::flat_buffer buffer;
    int thread = 0;
};

std::vector<asio::ip::address> SourceAddresses(const std::string& spec, const Target& target) {
    std::vector<asio::ip::address> out;
    if (spec == "auto") {
        const auto a = target.endpoint.address();
        if (a.is_v4() && a.is_loopback())
            for (int i = 1; i <= 8; ++i) out.push_back(asio::ip::make_address("127.0.0." + std::to_string(i)));
        return out;
    }
    if (spec == "none" || spec.empty()) return out;
    std::stringstream ss(spec);
    std::string one;
    while (std::getline(ss, one, ',')) out.push_back(asio::ip::make_address(one));
    return out;
}

}  // namespace

int RunConnections(const CommonOptions& common, const ConnectionsOptions& o) {
    if (o.connections < 1 || o.per_room < 1) {
        std::cerr << "connections: --connections and --per-room must be positive\n";
        return 1;
    }
    const std::uint64_t fd_limit = RaiseFileLimit();
    const auto driver = MakeDriver(common);
    const auto sources = SourceAddresses(o.source_addrs, Target::Parse(common.url, common.api_prefix));
    const int total = o.connections;
    const int rooms = (total + o.per_room - 1) / o.per_room;
    if (fd_limit > 0 && static_cast<std::uint64_t>(total) + 64 > fd_limit)
        std::cerr << "connections: warning: " << total << " connections need more descriptors than this process's "
                  << "limit (" << fd_limit << ")\n";

    constexpr int kUsers = 4;
    std::cerr << "connections (" << common.server << "): setting up " << rooms << " rooms\n";
    driver->Prepare(kUsers, rooms, "conn");

    std::atomic<int> ready{0}, failed{0}, disconnects{0}, active{0};
    std::atomic<bool> stopping{false};
    std::mutex mu;
    std::string first_error;
    auto error = [&](const std::string& e) {
        std::lock_guard lock(mu);
        if (first_error.empty()) first_error = e;
    };

    std::vector<std::unique_ptr<Conn>> conns;
    IoThreads io(common.threads);
    for (int g = 0; g < total; ++g) {
        conns.push_back(std::make_unique<Conn>(io.Get(g)));
        conns.back()->thread = g % io.size();
    }
    ServerStats server(common.server_pids);
    std::this_thread::sleep_for(500ms);  // the room creations' writes settle
    server.Begin();

    const auto start = SteadyClock::now();
    std::vector<int> next_index(static_cast<std::size_t>(io.size()));
    for (int t = 0; t < io.size(); ++t) {
        next_index[static_cast<std::size_t>(t)] = t;
        for (int c = 0; c < o.connect_concurrency; ++c) {
            ++active;
            asio::co_spawn(
                io.Get(t),
                [&, t]() -> asio::awaitable<void> {
                    int& next = next_index[static_cast<std::size_t>(t)];
                    while (next < total && !stopping) {
                        const int g = next;
                        next += io.size();
                        Conn& conn = *conns[static_cast<std::size_t>(g)];
                        std::optional<asio::ip::address> source;
                        if (!sources.empty()) source = sources[static_cast<std::size_t>(g) % sources.size()];
                        const std::string err = co_await driver->Open(conn.ws, g % rooms, g % kUsers, source);
                        if (!err.empty()) {
                            ++failed;
                            error(err);
                            continue;
                        }
                        ++active;
                        // Read forever: the confirmed join marks the connection ready; the reads also answer the
                        // server's pings (Beast the control frames, this loop the application-level ones; nothing
                        // else writes here). Joins of later members arrive as frames and are dropped.
                        asio::co_spawn(
                            conn.ws.get_executor(),
                            [&, cp = &conn]() -> asio::awaitable<void> {
                                const std::string join_error = co_await driver->AwaitJoined(cp->ws, cp->buffer);
                                if (!join_error.empty()) {
                                    if (!stopping) {
                                        ++failed;
                                        error(join_error);
                                    }
                                    co_return;
                                }
                                ++ready;
                                for (;;) {
                                    cp->buffer.shrink_to_fit();
                                    cp->buffer.clear();
                                    beast::error_code ec;
                                    co_await cp->ws.async_read(cp->buffer, asio::redirect_error(use_awaitable, ec));
                                    if (ec) {
                                        if (!stopping) {
                                            ++disconnects;
                                            error("read: " + ec.message());
                                        }
                                        co_return;
                                    }
                                    const auto data = cp->buffer.cdata();
                                    bool ping = false;
                                    ForEachLine(std::string_view(static_cast<const char*>(data.data()), data.size()),
                                                [&](std::string_view line) {
                                                    ping = ping || driver->Classify(line) == LineKind::kPing;
                                                });
                                    if (!ping) continue;
                                    const auto reply = driver->PingReply();
                                    co_await cp->ws.async_write(asio::buffer(reply.data(), reply.size()),
                                                                asio::redirect_error(use_awaitable, ec));
                                }
                            },
                            [&](std::exception_ptr) { --active; });
                    }
                },
                [&](std::exception_ptr) { --active; });
        }
    }
    const auto deadline = start + std::chrono::milliseconds(60000 + total * 5);
    while (ready + failed < total && SteadyClock::now() < deadline) std::this_thread::sleep_for(20ms);
    const double connect_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
    std::cerr << "connections: " << ready << " open, " << failed << " failed in " << connect_s << " s; holding "
              << o.hold_s << " s\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(o.hold_s * 1000)));
    server.End();

    Report report("connections");
    report.Add("server", common.server);
    report.Add("target_connections", total);
    report.Add("rooms", rooms);
    report.Add("source_addresses", static_cast<int>(sources.size()));
    report.Add("bench_fd_limit", fd_limit);
    report.Add("open", ready.load());
    report.Add("failed", failed.load());
    report.Add("disconnects_while_held", disconnects.load());
    report.Add("connect_s", connect_s, "s");
    report.Add("connects_per_s", connect_s > 0 ? ready / connect_s : 0.0, "conn/s");
    if (!common.server_pids.empty()) {
        const double delta_kib = static_cast<double>(server.RssEndKib() - server.RssBeginKib());
        report.Add("server_rss_delta_kib", delta_kib, "KiB");
        report.Add("server_rss_per_connection_kib", ready > 0 ? delta_kib / ready : 0.0, "KiB");
    }
    server.AddTo(report);
    if (!first_error.empty()) report.Add("first_error", first_error);

    stopping = true;
    for (int t = 0; t < io.size(); ++t) {
        asio::post(io.Get(t), [&, t] {
            for (auto& c : conns) {
                if (c->thread != t) continue;
                beast::error_code ec;
                beast::get_lowest_layer(c->ws).socket().close(ec);
            }
        });
    }
    const auto stop_deadline = SteadyClock::now() + 20s;
    while (active > 0 && SteadyClock::now() < stop_deadline) std::this_thread::sleep_for(20ms);

    report.Print();
    int rc = (failed || disconnects || ready == 0) ? 2 : 0;
    if (!common.json_file.empty() && !report.WriteJson(common.json_file)) rc = rc ? rc : 1;
    if (active != 0) {
        for (auto& c : conns) (void)c.release();
    }
    conns.clear();
    io.Stop();
    return rc;
}

}  // namespace rooms_bench
