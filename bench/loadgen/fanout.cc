// fanout: R rooms x M members, S senders at a fixed total rate (open loop), end-to-end latency measured from
// each message's scheduled send time, so a stalled sender or server shows up as latency (no coordinated
// omission). Every member checks, per sender of its room, that the sequence numbers arrive complete and in order.
// The server's protocol is the driver's (driver.h): the same schedule, stamps and checks drive Rooms or Centrifugo.

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "driver.h"
#include "net.h"
#include "report.h"
#include "scenarios.h"

namespace rooms_bench {

using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

/// Figures of one io thread; only that thread writes them (the atomics are read by the main thread meanwhile).
struct ThreadFigures {
    LatencyHistogram latency;
    LatencyHistogram send_lag;
    std::atomic<std::uint64_t> delivered{0};
    std::uint64_t out_of_order = 0;
    std::uint64_t foreign = 0;       // a bench message from a sender outside the member's room
    std::uint64_t error_frames = 0;  // error replies or frames from the server (Driver::Classify)
    std::int64_t last_delivery_ns = 0;
};

struct Member {
    explicit Member(asio::io_context& ioc) : ws(ioc) {}
    WsStream ws;
    beast::flat_buffer buffer;
    int thread = 0;
    int room = 0;
    std::vector<std::uint64_t> received;  // per sender of the room (local index)
    std::vector<std::int64_t> last_seq;
    // One write at a time on a stream (Beast's rule): a sender's publishes and the read loop's answers to the
    // server's application-level pings share it. A ping read while a publish is being written is answered by
    // the sender right after it.
    bool writing = false;
    bool ping_due = false;
};

struct Shared {
    std::atomic<int> connected{0};
    std::atomic<int> failed{0};
    std::atomic<int> ready{0};
    std::atomic<int> disconnects{0};
    std::atomic<int> write_errors{0};
    std::atomic<int> active{0};  // coroutines still running
    std::atomic<bool> stopping{false};
    std::mutex mu;
    std::string first_error;
    void Error(const std::string& e) {
        std::lock_guard lock(mu);
        if (first_error.empty()) first_error = e;
    }
};

/// A bench message's content: "bench <sender> <seq> <send_ns>[ padding]".
struct Stamp {
    int sender = 0;
    std::int64_t seq = 0;
    std::int64_t send_ns = 0;
};

std::optional<Stamp> ParseStamp(std::string_view frame) {
    auto pos = frame.find("\"content\"");
    if (pos == std::string_view::npos) return std::nullopt;
    pos += 9;
    while (pos < frame.size() && (frame[pos] == ':' || frame[pos] == ' ')) ++pos;
    constexpr std::string_view kPrefix = "\"bench ";
    if (frame.substr(pos, kPrefix.size()) != kPrefix) return std::nullopt;
    const char* p = frame.data() + pos + kPrefix.size();
    const char* end = frame.data() + frame.size();
    Stamp s;
    auto r = std::from_chars(p, end, s.sender);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != ' ') return std::nullopt;
    r = std::from_chars(r.ptr + 1, end, s.seq);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != ' ') return std::nullopt;
    r = std::from_chars(r.ptr + 1, end, s.send_ns);
    if (r.ec != std::errc{}) return std::nullopt;
    return s;
}

}  // namespace

int RunFanout(const CommonOptions& common, const FanoutOptions& o) {
    if (o.rooms < 1 || o.members < 1 || o.senders < 1 || o.rate <= 0 || o.users < 1) {
        std::cerr << "fanout: --rooms, --members, --senders, --users and --rate must be positive\n";
        return 1;
    }
    if (o.senders % o.rooms != 0 || o.senders / o.rooms > o.members) {
        std::cerr << "fanout: --senders must be a multiple of --rooms and at most rooms x members\n";
        return 1;
    }
    RaiseFileLimit();
    const auto driver = MakeDriver(common);
    const int total = o.rooms * o.members;
    const int senders_per_room = o.senders / o.rooms;

    std::cerr << "fanout (" << common.server << "): setting up " << o.users << " users, " << o.rooms << " rooms, "
              << total << " connections\n";
    driver->Prepare(o.users, o.rooms, "bench");

    Shared shared;
    // Members are destroyed (after every coroutine ended) before the io threads' contexts.
    std::vector<std::unique_ptr<Member>> members;
    std::vector<std::unique_ptr<ThreadFigures>> figures;
    IoThreads io(common.threads);
    for (int t = 0; t < io.size(); ++t) figures.push_back(std::make_unique<ThreadFigures>());
    for (int g = 0; g < total; ++g) {
        auto m = std::make_unique<Member>(io.Get(g));
        m->thread = g % io.size();
        m->room = g / o.members;
        m->received.assign(static_cast<std::size_t>(senders_per_room), 0);
        m->last_seq.assign(static_cast<std::size_t>(senders_per_room), -1);
        members.push_back(std::move(m));
    }
    std::vector<std::atomic<std::uint64_t>> sent(static_cast<std::size_t>(o.senders));

    // A bench message's stamp is checked; any other line goes to the driver.
    const auto on_line = [&](Member& m, ThreadFigures& f, std::string_view line) {
        const auto stamp = ParseStamp(line);
        if (!stamp) {
            switch (driver->Classify(line)) {
                case LineKind::kError:
                    ++f.error_frames;
                    shared.Error("error frame: " + std::string(line.substr(0, 200)));
                    break;
                case LineKind::kPing:
                    m.ping_due = true;
                    break;
                case LineKind::kOther:
                    break;
            }
            return;
        }
        const std::int64_t now = NowNs();
        f.latency.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - stamp->send_ns)));
        f.delivered.fetch_add(1, std::memory_order_relaxed);
        f.last_delivery_ns = now;
        if (stamp->sender < 0 || stamp->sender >= o.senders || stamp->sender % o.rooms != m.room) {
            ++f.foreign;
            return;
        }
        const auto local = static_cast<std::size_t>(stamp->sender / o.rooms);
        ++m.received[local];
        if (stamp->seq != m.last_seq[local] + 1) ++f.out_of_order;
        m.last_seq[local] = std::max(m.last_seq[local], stamp->seq);
    };
    // Writes `frame`, then the answer to a ping read meanwhile; the caller holds m.writing.
    const auto write_frame = [&](Member& m, std::string_view frame) -> asio::awaitable<beast::error_code> {
        beast::error_code ec;
        co_await m.ws.async_write(asio::buffer(frame.data(), frame.size()), asio::redirect_error(use_awaitable, ec));
        while (!ec && m.ping_due) {
            m.ping_due = false;
            const auto reply = driver->PingReply();
            co_await m.ws.async_write(asio::buffer(reply.data(), reply.size()),
                                      asio::redirect_error(use_awaitable, ec));
        }
        co_return ec;
    };

    auto read_loop = [&](Member& m) -> asio::awaitable<void> {
        ThreadFigures& f = *figures[static_cast<std::size_t>(m.thread)];
        for (;;) {
            m.buffer.clear();
            beast::error_code ec;
            co_await m.ws.async_read(m.buffer, asio::redirect_error(use_awaitable, ec));
            if (ec) {
                if (!shared.stopping) {
                    ++shared.disconnects;
                    shared.Error("connection lost: " + ec.message());
                }
                break;
            }
            const auto data = m.buffer.cdata();
            if (m.ws.got_binary()) continue;
            ForEachLine(std::string_view(static_cast<const char*>(data.data()), data.size()),
                        [&](std::string_view line) { on_line(m, f, line); });
            if (m.ping_due && !m.writing) {
                m.writing = true;
                m.ping_due = false;
                const auto reply = driver->PingReply();
                const auto wec = co_await write_frame(m, reply);
                m.writing = false;
                if (wec) break;
            }
        }
    };

    // Connect: per thread, a few connector coroutines take the thread's members one after another.
    std::vector<int> next_index(static_cast<std::size_t>(io.size()));
    for (int t = 0; t < io.size(); ++t) {
        next_index[static_cast<std::size_t>(t)] = t;
        for (int c = 0; c < o.connect_concurrency; ++c) {
            ++shared.active;
            asio::co_spawn(
                io.Get(t),
                [&, t]() -> asio::awaitable<void> {
                    int& next = next_index[static_cast<std::size_t>(t)];
                    while (next < total && !shared.stopping) {
                        const int g = next;
                        next += io.size();
                        Member& m = *members[static_cast<std::size_t>(g)];
                        const std::string err = co_await driver->Open(m.ws, m.room, g % o.users, std::nullopt);
                        if (!err.empty()) {
                            ++shared.failed;
                            shared.Error(err);
                            continue;
                        }
                        ++shared.connected;
                        ++shared.active;
                        // The join is confirmed (history frame, subscribe reply) on the member's own coroutine, so
                        // the connector goes on with the next handshake meanwhile.
                        asio::co_spawn(
                            m.ws.get_executor(),
                            [&, mp = &m]() -> asio::awaitable<void> {
                                const std::string join_error = co_await driver->AwaitJoined(mp->ws, mp->buffer);
                                if (!join_error.empty()) {
                                    ++shared.failed;
                                    shared.Error(join_error);
                                    co_return;
                                }
                                ++shared.ready;
                                co_await read_loop(*mp);
                            },
                            [&](std::exception_ptr) { --shared.active; });
                    }
                },
                [&](std::exception_ptr) { --shared.active; });
        }
    }

    const auto wait_until = [](auto cond, std::chrono::milliseconds limit) {
        const auto deadline = SteadyClock::now() + limit;
        while (!cond() && SteadyClock::now() < deadline) std::this_thread::sleep_for(20ms);
        return cond();
    };
    // Closes every member's socket on its own thread and waits (bounded) until their coroutines have ended.
    const auto close_all = [&] {
        for (int t = 0; t < io.size(); ++t) {
            asio::post(io.Get(t), [&, t] {
                for (auto& m : members) {
                    if (m->thread != t) continue;
                    beast::error_code ec;
                    beast::get_lowest_layer(m->ws).socket().close(ec);
                }
            });
        }
        wait_until([&] { return shared.active == 0; }, 10s);
    };
    const auto connect_start = SteadyClock::now();
    const bool all_in = wait_until([&] { return shared.ready + shared.failed >= total; },
                                   std::chrono::milliseconds(30000 + total * 10));
    const double connect_s = std::chrono::duration<double>(SteadyClock::now() - connect_start).count();

    int rc = 0;
    Report report("fanout");
    report.Add("server", common.server);
    report.Add("rooms", o.rooms);
    report.Add("members_per_room", o.members);
    report.Add("senders", o.senders);
    report.Add("target_rate", o.rate, "msg/s");
    report.Add("duration_s", common.duration_s, "s");
    report.Add("connections", shared.ready.load());
    report.Add("connect_s", connect_s, "s");
    ServerStats server(common.server_pids);

    if (!all_in || shared.failed > 0) {
        std::cerr << "fanout: only " << shared.ready << " of " << total
                  << " members joined; first error: " << shared.first_error << "\n";
        rc = 1;
    } else {
        // The joins' notices are still being broadcast; let them settle before measuring.
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + total / 20));
        server.Begin();
        const std::int64_t interval_ns = static_cast<std::int64_t>(1e9 * o.senders / o.rate);
        const std::int64_t t0 = NowNs() + 100'000'000;
        const std::int64_t t_end = t0 + static_cast<std::int64_t>(common.duration_s * 1e9);
        std::cerr << "fanout: " << total << " members in, sending " << o.rate << " msg/s for " << common.duration_s
                  << " s\n";
        for (int s = 0; s < o.senders; ++s) {
            const int g = (s % o.rooms) * o.members + s / o.rooms;
            Member& m = *members[static_cast<std::size_t>(g)];
            ++shared.active;
            asio::co_spawn(
                m.ws.get_executor(),
                [&, s, mp = &m]() -> asio::awaitable<void> {
                    ThreadFigures& f = *figures[static_cast<std::size_t>(mp->thread)];
                    asio::steady_timer timer(mp->ws.get_executor());
                    const std::int64_t offset = static_cast<std::int64_t>(1e9 / o.rate * s);
                    std::string content, frame;
                    for (std::int64_t k = 0;; ++k) {
                        const std::int64_t at = t0 + offset + k * interval_ns;
                        if (at >= t_end || shared.stopping) break;
                        timer.expires_at(SteadyClock::time_point(std::chrono::nanoseconds(at)));
                        beast::error_code ec;
                        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
                        f.send_lag.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, NowNs() - at)));
                        content = "bench " + std::to_string(s) + " " + std::to_string(k) + " " + std::to_string(at);
                        if (o.message_bytes > static_cast<int>(content.size()) + 1) {
                            content += ' ';
                            content.resize(static_cast<std::size_t>(std::min(o.message_bytes, 4096)), 'x');
                        }
                        driver->EncodePublish(mp->room, k, content, frame);
                        // Only an answer to a ping can be in flight here; it takes microseconds.
                        while (mp->writing) co_await asio::post(mp->ws.get_executor(), use_awaitable);
                        mp->writing = true;
                        ec = co_await write_frame(*mp, frame);
                        mp->writing = false;
                        if (ec) {
                            if (!shared.stopping) {
                                ++shared.write_errors;
                                shared.Error("write: " + ec.message());
                            }
                            break;
                        }
                        sent[static_cast<std::size_t>(s)].fetch_add(1, std::memory_order_relaxed);
                    }
                },
                [&](std::exception_ptr) { --shared.active; });
        }
        while (NowNs() < t_end) std::this_thread::sleep_for(20ms);
        // Drain: wait until every sent message reached every member of its room, or the grace period ends.
        auto expected = [&] {
            std::uint64_t e = 0;
            for (auto& s : sent) e += s.load(std::memory_order_relaxed) * static_cast<std::uint64_t>(o.members);
            return e;
        };
        auto delivered = [&] {
            std::uint64_t d = 0;
            for (auto& f : figures) d += f->delivered.load(std::memory_order_relaxed);
            return d;
        };
        std::this_thread::sleep_for(50ms);  // the last sends' writes complete
        wait_until([&] { return delivered() >= expected(); },
                   std::chrono::milliseconds(static_cast<int>(o.grace_s * 1000)));
        server.End();

        shared.stopping = true;
        close_all();

        // Figures (the io threads only touch them from their coroutines, all of which have ended by now).
        LatencyHistogram latency, lag;
        std::uint64_t out_of_order = 0, foreign = 0, error_frames = 0, missing = 0, duplicates = 0;
        std::int64_t last_delivery = t0;
        for (auto& f : figures) {
            latency.Merge(f->latency);
            lag.Merge(f->send_lag);
            out_of_order += f->out_of_order;
            foreign += f->foreign;
            error_frames += f->error_frames;
            last_delivery = std::max(last_delivery, f->last_delivery_ns);
        }
        std::uint64_t total_sent = 0;
        for (auto& s : sent) total_sent += s.load();
        int rooms_with_loss = 0;
        std::vector<bool> room_lost(static_cast<std::size_t>(o.rooms), false);
        for (auto& m : members) {
            for (int l = 0; l < senders_per_room; ++l) {
                const auto want = sent[static_cast<std::size_t>(l * o.rooms + m->room)].load();
                const auto got = m->received[static_cast<std::size_t>(l)];
                if (got < want) {
                    missing += want - got;
                    room_lost[static_cast<std::size_t>(m->room)] = true;
                }
                if (got > want) duplicates += got - want;
            }
        }
        for (bool b : room_lost) rooms_with_loss += b;
        const std::uint64_t total_delivered = latency.Count();
        const double run_s = static_cast<double>(t_end - t0) / 1e9;
        const double deliver_s = std::max(run_s, static_cast<double>(last_delivery - t0) / 1e9);

        report.Add("published", total_sent);
        report.Add("publishes_per_s", static_cast<double>(total_sent) / run_s, "msg/s");
        report.Add("delivered", total_delivered);
        report.Add("expected_deliveries", total_sent * static_cast<std::uint64_t>(o.members));
        report.Add("deliveries_per_s", static_cast<double>(total_delivered) / deliver_s, "msg/s");
        report.AddLatency("latency", latency);
        report.Add("send_lag_p99_ms", static_cast<double>(lag.ValueAtPercentile(99)) / 1e6, "ms");
        report.Add("send_lag_max_ms", static_cast<double>(lag.Max()) / 1e6, "ms");
        report.Add("missing", missing);
        report.Add("out_of_order", out_of_order);
        report.Add("duplicates", duplicates);
        report.Add("rooms_with_loss", rooms_with_loss);
        report.Add("foreign", foreign);
        report.Add("error_frames", error_frames);
        report.Add("disconnects", shared.disconnects.load());
        report.Add("write_errors", shared.write_errors.load());
        server.AddTo(report);
        // Cost per delivery, the figure that compares servers across rates (and the bench with what it drives).
        const double per_delivery = total_delivered > 0 ? 1e6 / static_cast<double>(total_delivered) : 0.0;
        if (!common.server_pids.empty())
            report.Add("server_cpu_us_per_delivery", server.CpuSecondsTotal() * per_delivery, "us");
        report.Add("bench_cpu_us_per_delivery", server.BenchCpuSeconds() * per_delivery, "us");
        if (missing || out_of_order || duplicates || foreign || error_frames || shared.disconnects ||
            shared.write_errors || total_delivered == 0)
            rc = 2;
    }
    shared.stopping = true;
    if (rc == 1) {
        close_all();
    }
    if (!shared.first_error.empty()) report.Add("first_error", shared.first_error);
    report.Print();
    if (!common.json_file.empty() && !report.WriteJson(common.json_file)) rc = rc ? rc : 1;
    if (shared.active != 0) {
        // A coroutine is still stuck: leak the members rather than destroy what it uses.
        for (auto& m : members) (void)m.release();
        io.Stop();
        return rc;
    }
    members.clear();
    io.Stop();
    return rc;
}

}  // namespace rooms_bench
