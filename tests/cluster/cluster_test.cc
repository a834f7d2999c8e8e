// Cluster tests: run against an ALREADY RUNNING distributed cluster (scripts/cluster.sh up). Configuration,
// all required (a missing one fails the test with a message naming it):
//   ROOMS_CLUSTER_URL           nginx front, e.g. http://127.0.0.1:8080 (the API is under /api)
//   ROOMS_CLUSTER_GATEWAYS      the gateways, comma-separated, websocket-1 first then websocket-2,
//                               e.g. http://127.0.0.1:18081,http://127.0.0.1:18082
//   ROOMS_CLUSTER_POSTGRES_DSN  libpq DSN of the cluster's PostgreSQL
//   ROOMS_CLUSTER_SCRIPT        path of scripts/cluster.sh (for kill / start); it runs with this process's
//                               environment, so export the same ROOMS_SERVICES_DIR, ROOMS_*_PORT as for `up`.
//   ROOMS_CLUSTER_JAEGER_URL    Jaeger's query API (the trace test), e.g. http://127.0.0.1:16686
// Every test uses its own users and rooms, so the tests can run against a cluster already in use.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster_util.h"

namespace rooms_cluster {
namespace {

using namespace rooms_e2e;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------- 1. cross-gateway chat

TEST(Cluster, ChatAcrossGatewaysBothWaysInOrder) {
    LOAD_CONFIG(cfg);
    Api nginx(cfg.nginx, "/api");
    const User a = nginx.NewUser(RunTag() + "a");
    const User b = nginx.NewUser(RunTag() + "b");
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(a, RunTag() + "chat");
    ASSERT_FALSE(room.empty());

    Member ma = Join(cfg.gateways[0], room, a);
    ASSERT_TRUE(ma.ws);
    Member mb = Join(cfg.gateways[1], room, b);
    ASSERT_TRUE(mb.ws);

    constexpr int kN = 10;
    std::vector<std::string> a_sent, b_sent;
    for (int i = 0; i < kN; ++i) {
        a_sent.push_back(RunTag() + "-a-" + std::to_string(i));
        b_sent.push_back(RunTag() + "-b-" + std::to_string(i));
    }
    // Interleaved sends; each side reads its frames afterwards (20 small frames fit every buffer).
    for (int i = 0; i < kN; ++i) {
        ASSERT_TRUE(ma.ws->Send(a_sent[i])) << "a send " << i;
        ASSERT_TRUE(mb.ws->Send(b_sent[i])) << "b send " << i;
    }
    // Each reads until it has the other's kN messages and its own kN echoes.
    auto collect = [&](Member& m, const User& self, const User& other, std::vector<std::string>& from_other,
                       std::vector<std::string>& own) {
        const auto deadline = SteadyClock::now() + 15s;
        while ((from_other.size() < kN || own.size() < kN) && SteadyClock::now() < deadline) {
            auto f = m.ws->Read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
            if (!f.ok) break;
            auto v = ParseJson(f.text);
            if (!v || !v->is_object()) continue;
            const auto& o = v->as_object();
            if (IsMessageFrom(o, other.user_id)) from_other.push_back(Str(o, "content"));
            if (IsMessageFrom(o, self.user_id)) own.push_back(Str(o, "content"));
        }
    };
    std::vector<std::string> a_got, a_own, b_got, b_own;
    std::thread ta([&] { collect(ma, a, b, a_got, a_own); });
    std::thread tb([&] { collect(mb, b, a, b_got, b_own); });
    ta.join();
    tb.join();
    EXPECT_EQ(a_got, b_sent) << "what a (gateway 1) received from b (gateway 2)";
    EXPECT_EQ(b_got, a_sent) << "what b (gateway 2) received from a (gateway 1)";
    EXPECT_EQ(a_own, a_sent) << "a's own echoes";
    EXPECT_EQ(b_own, b_sent) << "b's own echoes";
}

// Send on gateway 1 -> receipt on gateway 2, 1,000 messages, one at a time (the sender waits for its echo).
// A user joining on one gateway right after messages were accepted on another gets each of them exactly
// once, in order: in the history frame or live after it. The messages are stored a consumer batch later,
// and the joiner's gateway may fan them out before or after the join, so its history adds what it fanned
// out recently (RecentOverlay) and its hub delivers what comes after.
TEST(Cluster, JoinRightAfterMessagesOnAnotherGatewayMissesAndDoublesNothing) {
    LOAD_CONFIG(cfg);
    Api nginx(cfg.nginx, "/api");
    constexpr int kRounds = 5, kN = 10;
    const User a = nginx.NewUser(RunTag() + "ha");
    std::vector<User> joiners;  // registered beforehand: each joins right after the echoes
    for (int round = 0; round < kRounds; ++round) joiners.push_back(nginx.NewUser(RunTag() + "hb"));
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(a, RunTag() + "hist");
    ASSERT_FALSE(room.empty());
    Member ma = Join(cfg.gateways[0], room, a);
    ASSERT_TRUE(ma.ws);

    std::vector<std::string> sent;  // oldest first
    for (int round = 0; round < kRounds; ++round) {
        {  // a fresh token (a refresh hashes no password): the cluster's access tokens are short (scripts/test.sh)
            auto res = nginx.Refresh(joiners[round].refresh_token);
            ASSERT_EQ(res.status, 200) << res.Describe();
            joiners[round].access_token = Str(res.Json(), "access_token");
        }
        for (int i = 0; i < kN; ++i) {
            sent.push_back(RunTag() + "-h-" + std::to_string(round) + "-" + std::to_string(i));
            ASSERT_TRUE(ma.ws->Send(sent.back()));
        }
        // Every echo back means accepted (delivered to Kafka) and fanned out by gateway 1.
        ASSERT_TRUE(ReadUntil(
            *ma.ws, [&](const json::object& o) { return Str(o, "content") == sent.back(); }, 10s));
        Member mb = Join(cfg.gateways[1], room, joiners[round]);
        ASSERT_TRUE(mb.ws);
        std::vector<std::string> got;  // oldest first: the history, then live frames
        for (auto it = mb.history.rbegin(); it != mb.history.rend(); ++it)
            if (it->is_object() && Str(*it, "type") == "message") got.push_back(Str(*it, "content"));
        const std::size_t in_history = got.size();
        auto take_live = [&](const json::object& o) {
            if (Str(o, "type") == "message" && Str(o, "user_id") == a.user_id) got.push_back(Str(o, "content"));
        };
        for (const auto& o : mb.before_join) take_live(o);
        ReadUntil(
            *mb.ws,
            [&](const json::object& o) {
                take_live(o);
                return got.size() >= sent.size();
            },
            5s);
        EXPECT_EQ(got, sent) << "round " << round << ": what a user joining on gateway 2 got (" << in_history
                             << " in the history frame, the rest live)";
        mb.ws->Close();
    }
}

// A join/leave storm on gateway 2 (the cluster tier runs without leave grace or notice rates, so each cycle is
// a join and a leave in the Redis history) does not push chat messages out of the join history: Redis keeps
// notices in a list of their own, and a user joining later gets the last 100 chat messages.
TEST(Cluster, JoinLeaveStormKeepsTheChatMessagesInTheJoinHistory) {
    LOAD_CONFIG(cfg);
    Api nginx(cfg.nginx, "/api");
    constexpr int kHistory = 100, kCycles = 150;  // chat.history_size of config/*.yaml
    const User writer = nginx.NewUser(RunTag() + "sw"), storm = nginx.NewUser(RunTag() + "ss");
    const User late = nginx.NewUser(RunTag() + "sl");
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(writer, RunTag() + "storm");
    ASSERT_FALSE(room.empty());
    std::vector<std::string> sent;
    {
        Member mw = Join(cfg.gateways[0], room, writer);
        ASSERT_TRUE(mw.ws);
        for (int i = 0; i < kHistory; ++i) {
            sent.push_back(RunTag() + "-s-" + std::to_string(i));
            ASSERT_TRUE(mw.ws->Send(sent.back()));
        }
        ASSERT_TRUE(ReadUntil(
            *mw.ws, [&](const json::object& o) { return Str(o, "content") == sent.back(); }, 10s));
    }
    for (int i = 0; i < kCycles; ++i) {
        auto ws = ConnectRoom(cfg.gateways[1], room, storm.access_token);
        ASSERT_TRUE(ws->connected()) << i << ": " << ws->error();
        ASSERT_TRUE(ws->Read(5s).ok) << i << ": no history frame";
        ws->Close();
    }
    // The storm's notices reach Redis a consumer batch later: join until the history holds them (its newest
    // entry is a notice of the storm's user), at most 15 s.
    std::vector<std::string> chat;
    std::size_t notices = 0;
    const auto deadline = SteadyClock::now() + 15s;
    do {
        Member ml = Join(cfg.gateways[0], room, late);
        ASSERT_TRUE(ml.ws);
        chat.clear();
        notices = 0;
        for (auto it = ml.history.rbegin(); it != ml.history.rend(); ++it) {
            if (!it->is_object()) continue;
            if (Str(*it, "type") == "message")
                chat.push_back(Str(*it, "content"));
            else if (Str(*it, "user_id") == storm.user_id)
                ++notices;
        }
        ml.ws->Close();
        if (chat.size() != sent.size()) break;  // pushed out: fail below
        if (!ml.history.empty() && ml.history.front().is_object() && Str(ml.history.front(), "type") != "message")
            break;
        std::this_thread::sleep_for(200ms);
    } while (SteadyClock::now() < deadline);
    std::cerr << "cluster: after " << kCycles << " join/leave cycles the join history holds " << chat.size()
              << " chat messages and " << notices << " of the storm's notices\n";
    EXPECT_EQ(chat, sent) << "the join history after the storm: the last " << kHistory << " chat messages, in order";
}

TEST(Cluster, CrossGatewayLatency) {
    LOAD_CONFIG(cfg);
    Api nginx(cfg.nginx, "/api");
    const User a = nginx.NewUser(RunTag() + "la");
    const User b = nginx.NewUser(RunTag() + "lb");
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(a, RunTag() + "lat");
    ASSERT_FALSE(room.empty());
    Member ma = Join(cfg.gateways[0], room, a);
    ASSERT_TRUE(ma.ws);
    Member mb = Join(cfg.gateways[1], room, b);
    ASSERT_TRUE(mb.ws);
    // a sees b's join notice: skip it so that a's reads below see only its echoes.
    ASSERT_TRUE(ReadUntil(
        *ma.ws, [&](const json::object& o) { return Str(o, "user_id") == b.user_id; }, 5s));

    constexpr int kN = 1000;
    const std::string prefix = RunTag() + "-lat-";
    std::vector<SteadyClock::time_point> sent(kN), received(kN);
    std::vector<bool> got(kN, false);
    std::atomic<bool> sender_done{false};
    std::string sender_error;

    std::thread receiver([&] {
        int n = 0;
        while (n < kN) {
            auto f = mb.ws->Read(sender_done ? 5s : 20s);
            if (!f.ok) break;
            const auto now = SteadyClock::now();
            auto v = ParseJson(f.text);
            if (!v || !v->is_object() || !IsMessageFrom(v->as_object(), a.user_id)) continue;
            const std::string c = Str(*v, "content");
            if (c.rfind(prefix, 0) != 0) continue;
            const int i = std::stoi(c.substr(prefix.size()));
            if (i >= 0 && i < kN && !got[i]) {
                got[i] = true;
                received[i] = now;
                ++n;
            }
        }
    });
    for (int i = 0; i < kN; ++i) {
        const std::string c = prefix + std::to_string(i);
        sent[i] = SteadyClock::now();
        if (!ma.ws->Send(c)) {
            sender_error = "send " + std::to_string(i) + " failed";
            break;
        }
        auto echo = ReadUntil(
            *ma.ws, [&](const json::object& o) { return Str(o, "content") == c; }, 10s);
        if (!echo) {
            sender_error = "no echo of " + c + " within 10 s";
            break;
        }
    }
    sender_done = true;
    receiver.join();
    EXPECT_TRUE(sender_error.empty()) << sender_error;

    std::vector<double> lat_ms;
    for (int i = 0; i < kN; ++i)
        if (got[i]) lat_ms.push_back(std::chrono::duration<double, std::milli>(received[i] - sent[i]).count());
    EXPECT_EQ(lat_ms.size(), static_cast<std::size_t>(kN)) << "messages that reached gateway 2";
    std::cout << std::fixed << std::setprecision(2) << "[cluster] send(gateway 1) -> receipt(gateway 2) latency over "
              << lat_ms.size() << " messages: p50 " << Percentile(lat_ms, 50) << " ms, p99 " << Percentile(lat_ms, 99)
              << " ms, max " << Percentile(lat_ms, 100) << " ms" << std::endl;
}

// ---------------------------------------------------------------- 2. /clients across gateways

TEST(Cluster, ClientsThroughNginxListsUsersOfBothGateways) {
    LOAD_CONFIG(cfg);
    Api nginx(cfg.nginx, "/api");
    const User a = nginx.NewUser(RunTag() + "pa");
    const User b = nginx.NewUser(RunTag() + "pb");
    const User c = nginx.NewUser(RunTag() + "pc");  // asks, not connected
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(a, RunTag() + "pres");
    ASSERT_FALSE(room.empty());
    Member ma = Join(cfg.gateways[0], room, a);
    ASSERT_TRUE(ma.ws);
    Member mb = Join(cfg.gateways[1], room, b);
    ASSERT_TRUE(mb.ws);

    const std::set<std::string> want{a.nickname, b.nickname};
    std::set<std::string> last;
    std::string why;
    const auto deadline = SteadyClock::now() + 5s;
    bool ok = false;
    // Several asks, so that nginx's round robin sends some to each gateway; all must agree.
    int consecutive = 0;
    while (SteadyClock::now() < deadline) {
        auto got = ClientNicknames(nginx, c, room, &why);
        if (got) last = *got;
        if (got && *got == want) {
            if (++consecutive >= 4) {
                ok = true;
                break;
            }
            continue;
        }
        consecutive = 0;
        std::this_thread::sleep_for(100ms);
    }
    auto join = [](const std::set<std::string>& s) {
        std::string r;
        for (const auto& x : s) r += x + " ";
        return r;
    };
    EXPECT_TRUE(ok) << "want " << join(want) << "; last answer: " << join(last) << " " << why;
}

// ---------------------------------------------------------------- 3. kill -9 a consumer during a stream

struct Received {
    std::vector<std::string> tags;  // tagged contents in the order this client received them
};

TEST(Cluster, KillConsumerDuringStreamLosesAndDuplicatesNothing) {
    LOAD_CONFIG(cfg, .pg = true, .redis = true, .script = true);
    Pg pg(cfg.dsn);
    ASSERT_TRUE(pg.ok()) << "PostgreSQL (" << cfg.dsn << "): " << pg.error();
    Api nginx(cfg.nginx, "/api");

    constexpr int kRooms = 20, kSendersPerRoom = 1, kSenders = kRooms * kSendersPerRoom;
    constexpr int kTotal = 10000, kPerSender = kTotal / kSenders;
    constexpr int kKillAt = 2000, kStartAt = 6000;
    constexpr int kHistorySize = 100;  // chat.history_size of the cluster (the default)
    const std::string run = RunTag() + "k" + std::to_string(std::random_device{}() % 100000);

    std::vector<std::string> rooms;
    std::vector<User> senders, observers;
    for (int r = 0; r < kRooms; ++r) {
        observers.push_back(nginx.NewUser(RunTag() + "o"));
        rooms.push_back(nginx.NewRoom(observers.back(), RunTag() + "kill"));
    }
    for (int s = 0; s < kSenders; ++s) senders.push_back(nginx.NewUser(RunTag() + "s"));
    ASSERT_FALSE(HasFailure());

    // Sender s: room s, gateway s % 2. Observer r: room r, gateway (r + 1) % 2 — each room has a member on
    // each gateway.
    std::vector<Member> sm(kSenders), om(kRooms);
    for (int r = 0; r < kRooms; ++r) {
        om[r] = Join(cfg.gateways[(r + 1) % 2], rooms[r], observers[r]);
        ASSERT_TRUE(om[r].ws) << "observer " << r;
    }
    for (int s = 0; s < kSenders; ++s) {
        sm[s] = Join(cfg.gateways[s % 2], rooms[s / kSendersPerRoom], senders[s]);
        ASSERT_TRUE(sm[s].ws) << "sender " << s;
    }
    auto tag_of = [&](int s, int i) {
        std::ostringstream os;
        os << run << "-c" << s << "-r" << s / kSendersPerRoom << "-" << std::setw(6) << std::setfill('0') << i;
        return os.str();
    };

    RestoreGuard guard(cfg.script, "consumer-1");
    std::atomic<int> accepted{0};
    std::atomic<int> senders_left{kSenders};
    std::vector<std::vector<std::string>> acked(kSenders);  // per sender, in order
    std::vector<Received> sender_rx(kSenders), observer_rx(kRooms);
    std::vector<std::string> sender_err(kSenders);
    std::vector<SteadyClock::time_point> sender_end(kSenders);

    auto parse_tag = [&](const std::string& text) -> std::string {
        auto v = ParseJson(text);
        if (!v || !v->is_object() || Str(*v, "type") != "message") return {};
        std::string c = Str(*v, "content");
        return c.rfind(run + "-", 0) == 0 ? c : std::string();
    };

    const auto t0 = SteadyClock::now();
    std::vector<std::thread> threads;
    for (int s = 0; s < kSenders; ++s) {
        threads.emplace_back([&, s] {
            WsClient& ws = *sm[s].ws;
            for (int i = 0; i < kPerSender; ++i) {
                const std::string tag = tag_of(s, i);
                if (!ws.Send(tag)) {
                    sender_err[s] = "send failed at " + tag + ": " + ws.error();
                    break;
                }
                // Read (recording the room's tagged messages) until the own echo: that is the acknowledgement.
                const auto deadline = SteadyClock::now() + 15s;
                bool echoed = false;
                while (!echoed && SteadyClock::now() < deadline) {
                    auto f =
                        ws.Read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
                    if (!f.ok) break;
                    const std::string t = parse_tag(f.text);
                    if (t.empty()) continue;
                    sender_rx[s].tags.push_back(t);
                    if (t == tag) echoed = true;
                }
                if (!echoed) {
                    sender_err[s] = "no echo of " + tag + " within 15 s";
                    break;
                }
                acked[s].push_back(tag);
                ++accepted;
            }
            sender_end[s] = SteadyClock::now();
            --senders_left;
        });
    }
    // Observers: read until they have the last acknowledged message of every sender of their room.
    for (int r = 0; r < kRooms; ++r) {
        threads.emplace_back([&, r] {
            WsClient& ws = *om[r].ws;
            const auto hard_deadline = SteadyClock::now() + 180s;
            auto idle_since = SteadyClock::now();
            while (SteadyClock::now() < hard_deadline) {
                auto f = ws.Read(500ms);
                if (f.ok) {
                    const std::string t = parse_tag(f.text);
                    if (!t.empty()) observer_rx[r].tags.push_back(t);
                    idle_since = SteadyClock::now();
                    continue;
                }
                if (!f.timed_out) break;
                // Once the senders are done, stop after 3 s of silence.
                if (senders_left == 0 && SteadyClock::now() - idle_since > 3s) break;
            }
        });
    }
    // The fault: kill -9 consumer-1 after ~kKillAt acknowledged messages, start it again after ~kStartAt.
    // `cluster.sh start` blocks until /readyz (which can take the group's session timeout, ~45 s), so it runs
    // on its own thread: the stream and the drain measurement go on meanwhile.
    std::atomic<int> start_rc{-1};
    std::atomic<double> start_s{-1};
    int kill_rc = -1;
    int killed_at = -1, started_at = -1;
    double kill_s = -1;
    std::jthread restarter;  // joined before `guard` is destroyed (declared after it)
    auto restart = [&] {
        restarter = std::jthread([&] {
            start_rc = guard.Restore();
            start_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
        });
    };
    while (senders_left > 0) {
        if (killed_at < 0 && accepted >= kKillAt) {
            killed_at = accepted;
            kill_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
            guard.Arm();
            kill_rc = RunScript(cfg.script, "kill", "consumer-1");
        } else if (killed_at >= 0 && started_at < 0 && accepted >= kStartAt) {
            started_at = accepted;
            restart();
        }
        std::this_thread::sleep_for(1ms);
    }
    if (killed_at >= 0 && started_at < 0) {  // the stream ended first: restore now
        started_at = accepted;
        restart();
    }
    for (auto& t : threads) t.join();
    const auto sent_done = *std::max_element(sender_end.begin(), sender_end.end());  // the last acknowledgement
    EXPECT_EQ(kill_rc, 0) << "cluster.sh kill consumer-1";
    for (int s = 0; s < kSenders; ++s) EXPECT_TRUE(sender_err[s].empty()) << "sender " << s << ": " << sender_err[s];

    std::set<std::string> acked_set;
    std::map<std::string, int> room_of_tag;
    for (int s = 0; s < kSenders; ++s)
        for (const auto& t : acked[s]) {
            acked_set.insert(t);
            room_of_tag[t] = s / kSendersPerRoom;
        }

    // Wait (bounded) until PostgreSQL has every acknowledged message.
    std::vector<std::array<std::string, 3>> rows;
    std::string err;
    // Bound: the killed consumer's partitions wait for the group's session timeout (librdkafka's default
    // 45 s) before they are reassigned, so 90 s.
    const auto drain_deadline = SteadyClock::now() + 90s;
    std::size_t present = 0;
    while (true) {
        ASSERT_TRUE(pg.Tagged(rooms, run + "-", rows, err)) << err;
        std::set<std::string> stored;
        for (const auto& row : rows) stored.insert(row[2]);
        present = 0;
        for (const auto& t : acked_set) present += stored.count(t);
        if (present == acked_set.size() || SteadyClock::now() >= drain_deadline) break;
        std::this_thread::sleep_for(200ms);
    }
    const auto drained = SteadyClock::now();
    // A last look a moment later, to catch late duplicates (e.g. a redelivered batch).
    std::this_thread::sleep_for(1s);
    ASSERT_TRUE(pg.Tagged(rooms, run + "-", rows, err)) << err;

    restarter = {};  // joins: wait for consumer-1 to be ready again
    EXPECT_EQ(start_rc.load(), 0) << "cluster.sh start consumer-1";
    const double send_s = std::chrono::duration<double>(sent_done - t0).count();
    const double drain_s = std::chrono::duration<double>(drained - sent_done).count();
    std::cout << std::fixed << std::setprecision(2) << "[cluster] kill -9 consumer-1: sent " << accepted.load()
              << " acknowledged"
              << " (senders that failed: "
              << std::count_if(sender_err.begin(), sender_err.end(), [](const std::string& e) { return !e.empty(); })
              << ") / acknowledged distinct " << acked_set.size() << " / stored " << present << " of them ("
              << rows.size() << " tagged rows) ; killed after " << killed_at << ", restarted after " << started_at
              << " ; kill at " << kill_s << " s, consumer-1 ready again at " << start_s.load() << " s ; stream "
              << send_s << " s (" << acked_set.size() / std::max(send_s, 1e-9)
              << " msg/s) ; all acknowledged rows in PostgreSQL " << drain_s << " s after the last ack" << std::endl;

    EXPECT_EQ(acked_set.size(), static_cast<std::size_t>(kPerSender * kSenders));
    EXPECT_EQ(present, acked_set.size()) << "acknowledged messages missing from PostgreSQL after 90 s";

    // Exactly once: each id once, each tag once.
    std::map<std::string, int> id_count, tag_count;
    for (const auto& row : rows) {
        ++id_count[row[1]];
        ++tag_count[row[2]];
    }
    EXPECT_EQ(id_count.size(), rows.size()) << "count(*) != count(distinct id)";
    int dup_tags = 0;
    for (const auto& [t, n] : tag_count)
        if (n != 1 && ++dup_tags <= 5) ADD_FAILURE() << "stored " << n << " times: " << t;
    EXPECT_EQ(dup_tags, 0) << "contents stored more than once";
    int missing = 0;
    for (const auto& t : acked_set)
        if (!tag_count.count(t) && ++missing <= 5) ADD_FAILURE() << "acknowledged but not stored: " << t;

    // Order: per room, the stored order (ORDER BY seq) equals the order the room's members received.
    for (int r = 0; r < kRooms; ++r) {
        std::vector<std::string> stored;
        for (const auto& row : rows)
            if (row[0] == rooms[r]) stored.push_back(row[2]);
        std::vector<std::string> stored_acked;  // restricted to acknowledged messages
        for (const auto& t : stored)
            if (acked_set.count(t)) stored_acked.push_back(t);
        std::vector<std::string> obs_acked;
        for (const auto& t : observer_rx[r].tags)
            if (acked_set.count(t)) obs_acked.push_back(t);
        EXPECT_EQ(obs_acked.size(), stored_acked.size()) << "room " << r << ": observer received vs stored";
        EXPECT_TRUE(obs_acked == stored_acked) << "room " << r << ": stored order differs from the observer's";
        // Each sender's received sequence is a prefix of the room's order.
        for (int s = r * kSendersPerRoom; s < (r + 1) * kSendersPerRoom; ++s) {
            const auto& rx = sender_rx[s].tags;
            const bool prefix = rx.size() <= stored.size() && std::equal(rx.begin(), rx.end(), stored.begin());
            EXPECT_TRUE(prefix) << "room " << r << ": sender " << s << "'s received order (" << rx.size()
                                << " messages) is not a prefix of the stored order (" << stored.size() << ")";
        }
        // One sender per room: the stored order is its send order.
        if (kSendersPerRoom == 1) {
            EXPECT_TRUE(stored_acked == acked[r]) << "room " << r << ": stored order != send order";
        }
    }

    // Redis: each room's history list of chat messages is the newest chat rows of PostgreSQL (the consumers write it
    // after the rows and before committing; polled, as the last batch may still be on its way).
    int redis_mismatches = 0;
    const auto redis_deadline = SteadyClock::now() + 20s;
    for (int r = 0; r < kRooms; ++r) {
        std::vector<std::string> newest;
        std::optional<std::vector<std::string>> cached;
        std::string why;
        do {
            ASSERT_TRUE(pg.NewestChatIds(rooms[r], kHistorySize, newest, why)) << why;
            cached = RedisHistoryIds(cfg.redis, rooms[r], why);
            if (cached && *cached == newest) break;
            std::this_thread::sleep_for(200ms);
        } while (SteadyClock::now() < redis_deadline);
        ASSERT_TRUE(cached) << "redis " << cfg.redis << ": " << why;
        if (*cached != newest) {
            ++redis_mismatches;
            ADD_FAILURE() << "room " << r << ": the Redis history (" << cached->size() << " ids, newest "
                          << (cached->empty() ? "-" : cached->front()) << ") is not the newest " << newest.size()
                          << " PostgreSQL rows (newest " << (newest.empty() ? "-" : newest.front()) << ")";
        }
    }
    std::cout << "[cluster] kill -9 consumer-1: Redis history lists equal to the newest " << kHistorySize
              << " PostgreSQL rows in " << kRooms - redis_mismatches << " of " << kRooms << " rooms" << std::endl;
}

// ---------------------------------------------------------------- 4. kill -9 a gateway

TEST(Cluster, KillGatewayDropsItsUsersFromClientsWithinPresenceTtl) {
    LOAD_CONFIG(cfg, .script = true);
    Api nginx(cfg.nginx, "/api");
    Api gw1(cfg.gateways[0]);
    const User u = nginx.NewUser(RunTag() + "g");
    const User asker = nginx.NewUser(RunTag() + "q");
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(asker, RunTag() + "gw");
    ASSERT_FALSE(room.empty());
    Member m = Join(cfg.gateways[1], room, u);
    ASSERT_TRUE(m.ws);

    std::string why;
    bool listed = false;
    for (auto deadline = SteadyClock::now() + 5s; SteadyClock::now() < deadline; std::this_thread::sleep_for(100ms)) {
        auto got = ClientNicknames(gw1, asker, room, &why);
        if (got && got->count(u.nickname)) {
            listed = true;
            break;
        }
    }
    ASSERT_TRUE(listed) << u.nickname << " (on websocket-2) not in /clients on websocket-1 " << why;

    RestoreGuard guard(cfg.script, "websocket-2");
    guard.Arm();
    ASSERT_EQ(RunScript(cfg.script, "kill", "websocket-2"), 0);
    const auto killed = SteadyClock::now();
    m.ws->Abort();

    bool gone = false;
    std::set<std::string> last;
    while (SteadyClock::now() - killed < 25s) {
        auto got = ClientNicknames(gw1, asker, room, &why);
        if (got) {
            last = *got;
            if (!got->count(u.nickname)) {
                gone = true;
                break;
            }
        }
        std::this_thread::sleep_for(250ms);
    }
    const double gone_s = std::chrono::duration<double>(SteadyClock::now() - killed).count();
    std::cout << std::fixed << std::setprecision(2) << "[cluster] kill -9 websocket-2: its user "
              << (gone ? "left /clients after " : "still in /clients after ") << gone_s << " s" << std::endl;
    EXPECT_TRUE(gone) << u.nickname << " still listed " << gone_s << " s after kill -9 of its gateway " << why;

    // Also through nginx (which must route around the dead gateway) once it is gone.
    if (gone) {
        auto via_nginx = ClientNicknames(nginx, asker, room, &why);
        ASSERT_TRUE(via_nginx) << "nginx /clients with websocket-2 down: " << why;
        EXPECT_EQ(via_nginx->count(u.nickname), 0u);
    }
    EXPECT_EQ(guard.Restore(), 0) << "cluster.sh start websocket-2";
}

// ---------------------------------------------------------------- 5. revoked sessions end on every gateway

/// Reads until the connection ends; the last frame (with the server's close code and reason).
WsClient::Frame ReadToClose(WsClient& ws, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) return {};
        auto f = ws.Read(left);
        if (!f.ok) return f;
    }
}

TEST(Cluster, LogoutOnOneGatewayClosesTheSessionsSocketsOnBoth) {
    LOAD_CONFIG(cfg);
    Api gw1(cfg.gateways[0]), gw2(cfg.gateways[1]);
    const User u = gw1.NewUser(RunTag() + "out");
    ASSERT_FALSE(HasFailure());
    const std::string room = gw1.NewRoom(u, RunTag() + "logout");
    ASSERT_FALSE(room.empty());
    Member on1 = Join(cfg.gateways[0], room, u);
    Member on2 = Join(cfg.gateways[1], room, u);
    ASSERT_TRUE(on1.ws && on2.ws);

    const auto start = SteadyClock::now();
    ASSERT_EQ(gw1.Logout(u.refresh_token).status, 200);
    const auto end2 = ReadToClose(*on2.ws, 5s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
    const auto end1 = ReadToClose(*on1.ws, 5s);
    EXPECT_EQ(end2.close_code, 4001) << "the other gateway's socket: " << end2.Describe();
    EXPECT_EQ(end2.close_reason, "session revoked") << end2.Describe();
    EXPECT_EQ(end1.close_code, 4001) << "the logout's gateway's socket: " << end1.Describe();
    EXPECT_EQ(gw2.ListRooms(u.access_token).status, 401) << "the other gateway refuses the session's token";
    EXPECT_EQ(ConnectRoom(cfg.gateways[1], room, u.access_token)->handshake_status(), 401);
    std::cout << "[cluster] logout on websocket-1 closed the session's socket on websocket-2 in " << took.count()
              << " ms" << std::endl;
}

TEST(Cluster, RefreshReuseOnOneGatewayClosesTheSessionsSocketOnTheOther) {
    LOAD_CONFIG(cfg);
    Api gw1(cfg.gateways[0]), gw2(cfg.gateways[1]);
    User u = gw1.NewUser(RunTag() + "reuse");
    ASSERT_FALSE(HasFailure());
    const std::string room = gw1.NewRoom(u, RunTag() + "reuse");
    ASSERT_FALSE(room.empty());
    const auto rotated = gw1.Refresh(u.refresh_token);
    ASSERT_EQ(rotated.status, 200) << rotated.Describe();
    User current = u;
    current.access_token = Str(rotated.Json(), "access_token");
    Member on2 = Join(cfg.gateways[1], room, current);
    ASSERT_TRUE(on2.ws);
    // A second use within the reuse grace (5 s) is the client's own repeat: nothing ends.
    ASSERT_EQ(gw2.Refresh(u.refresh_token).status, 200);
    EXPECT_TRUE(SendAndAwaitEcho(*on2.ws, current, RunTag() + "-still-open"));

    std::this_thread::sleep_for(5500ms);  // past auth.refresh_reuse_grace_s
    EXPECT_EQ(gw1.Refresh(u.refresh_token).status, 401);
    const auto end = ReadToClose(*on2.ws, 5s);
    EXPECT_EQ(end.close_code, 4001) << end.Describe();
    EXPECT_EQ(end.close_reason, "session revoked") << end.Describe();
}

// ---------------------------------------------------------------- traces

// One message's trace, as Jaeger has it: every span by id, with its service and instance.
struct JaegerSpan {
    std::string name, service, instance, parent;
};

std::map<std::string, JaegerSpan> TraceSpans(const json::value& body) {
    std::map<std::string, JaegerSpan> spans;
    if (!body.is_object() || !body.as_object().contains("data")) return spans;
    for (const auto& trace : body.at("data").as_array()) {
        const auto& processes = trace.at("processes").as_object();
        for (const auto& sv : trace.at("spans").as_array()) {
            const auto& s = sv.as_object();
            JaegerSpan span;
            span.name = Str(s, "operationName");
            const auto& process = processes.at(Str(s, "processID")).as_object();
            span.service = Str(process, "serviceName");
            if (process.contains("tags")) {
                for (const auto& tag : process.at("tags").as_array()) {
                    if (Str(tag.as_object(), "key") == "service.instance.id")
                        span.instance = json::serialize(tag.at("value"));
                }
            }
            for (const auto& ref : s.at("references").as_array()) {
                if (Str(ref.as_object(), "refType") == "CHILD_OF") span.parent = Str(ref.as_object(), "spanID");
            }
            spans[Str(s, "spanID")] = span;
        }
    }
    return spans;
}

// A message sent through nginx with a traceparent on the socket's handshake is one trace in Jaeger, from the
// handshake to both gateways' fan-out and the consumer's PostgreSQL and Redis writes, each span under the right
// parent: the context crossed nginx, the gateway, Kafka's record headers and the consumer.
TEST(Cluster, AMessagesTraceRunsFromTheHandshakeThroughKafkaToEveryGatewayAndTheConsumer) {
    LOAD_CONFIG(cfg, .jaeger = true);
    Api nginx(cfg.nginx, "/api");
    const User a = nginx.NewUser(RunTag() + "tr");
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(a, RunTag() + "trace");
    ASSERT_FALSE(room.empty());

    std::mt19937_64 rng(std::random_device{}());
    std::ostringstream id;
    id << std::hex << std::setfill('0') << std::setw(16) << (rng() | 1) << std::setw(16) << rng();
    const std::string trace_id = id.str(), client_span = "00f067aa0ba902b7";
    {
        WsClient::Options o;
        o.target = "/api/chat/rooms/" + room;
        o.authorization = a.Bearer();
        o.headers = {{"traceparent", "00-" + trace_id + "-" + client_span + "-01"}};
        WsClient ws(cfg.nginx, o);
        ASSERT_TRUE(ws.connected()) << ws.error();
        ASSERT_TRUE(SendAndAwaitEcho(ws, a, RunTag() + "-traced", 10s));
    }  // closed: the handshake's span ends with its socket

    const std::set<std::string> expected = {"GET /chat/rooms/{id}", "chat.send",       "chat.validate", "chat.publish",
                                            "chat.fanout",          "postgres insert", "redis append"};
    Api jaeger(cfg.jaeger);
    std::map<std::string, JaegerSpan> spans;
    const auto complete = [&] {
        std::set<std::string> names;
        int fanouts = 0;
        for (const auto& [sid, s] : spans) {
            names.insert(s.name);
            fanouts += s.name == "chat.fanout";
        }
        return names == expected && fanouts >= 2;
    };
    const auto deadline = SteadyClock::now() + 30s;  // spans leave each role within a second (flush_interval_ms)
    while (SteadyClock::now() < deadline) {
        const auto res = jaeger.Get("/api/traces/" + trace_id);
        if (res.status == 200) spans = TraceSpans(res.Json());
        if (complete()) break;
        std::this_thread::sleep_for(500ms);
    }
    std::ostringstream found;
    for (const auto& [sid, s] : spans) found << "\n  " << s.name << " (" << s.service << " " << s.instance << ")";
    ASSERT_TRUE(complete()) << "trace " << trace_id << " in Jaeger has:" << found.str();

    const auto one = [&](const std::string& name) {
        std::vector<std::string> ids;
        for (const auto& [sid, s] : spans)
            if (s.name == name) ids.push_back(sid);
        EXPECT_EQ(ids.size(), 1u) << name << found.str();
        return ids.empty() ? std::string() : ids[0];
    };
    const std::string handshake = one("GET /chat/rooms/{id}"), send = one("chat.send"), publish = one("chat.publish");
    EXPECT_EQ(spans[handshake].parent, client_span) << "the client's traceparent, through nginx";
    EXPECT_EQ(spans[handshake].service, "rooms-websocket");
    EXPECT_EQ(spans[send].parent, handshake);
    EXPECT_EQ(spans[one("chat.validate")].parent, send);
    EXPECT_EQ(spans[publish].parent, send);
    std::set<std::string> fanout_instances;
    for (const auto& [sid, s] : spans) {
        if (s.name == "chat.fanout") {
            EXPECT_EQ(s.parent, publish) << "fan-out on " << s.service << " " << s.instance;
            EXPECT_EQ(s.service, "rooms-websocket");
            fanout_instances.insert(s.instance);
        }
        if (s.name == "postgres insert" || s.name == "redis append") {
            EXPECT_EQ(s.parent, publish) << s.name << ": the Kafka record's traceparent header";
            EXPECT_EQ(s.service, "rooms-consumer");
        }
    }
    EXPECT_EQ(fanout_instances.size(), 2u) << "each gateway fans the message out under the same parent";
}

}  // namespace
}  // namespace rooms_cluster
