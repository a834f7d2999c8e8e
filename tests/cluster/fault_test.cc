// Fault tests (docs/RELIABILITY.md): against the running cluster, each scenario sends uniquely tagged messages,
// injects a fault (a service stopped, a process killed or shut down, a client that stops reading), then counts
// what the clients received and what PostgreSQL holds. Pass criteria are exact counts. Configuration: see
// cluster_util.h. The tests stop and start shared services: run them one at a time, after the other tiers.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster_util.h"

namespace rooms_cluster {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

double Since(SteadyClock::time_point t) { return std::chrono::duration<double>(SteadyClock::now() - t).count(); }

// ---------------------------------------------------------------- traffic

// One sender per room and one observer per room, on different gateways (or through nginx). Each sender sends
// tagged messages one at a time and waits for the outcome of each: its echo (accepted), an error frame
// (refused), or nothing within 20 s (silence, a failure). A client whose connection breaks reconnects, through
// nginx, when `reconnect` is set, with a fresh access token.
struct TrafficOptions {
    int rooms = 4;
    std::chrono::milliseconds pace{50};  // least time between two sends of one sender
    int per_sender = 0;                  // 0: until Stop()
    bool reconnect = false;
    bool via_nginx = false;  // else sender r on gateway r % 2, observer on the other
};

class Traffic {
  public:
    Traffic(const Config& cfg, TrafficOptions o) : cfg_(cfg), o_(o), nginx_(cfg.nginx, "/api") {
        run_ = RunTag() + "f" + std::to_string(std::random_device{}() % 1000000);
        for (int r = 0; r < o_.rooms; ++r) {
            senders_.push_back(nginx_.NewUser(RunTag() + "fs"));
            observers_.push_back(nginx_.NewUser(RunTag() + "fo"));
            rooms_.push_back(nginx_.NewRoom(observers_.back(), RunTag() + "fault"));
        }
        sides_.resize(o_.rooms);
    }
    ~Traffic() { Stop(); }

    const std::string& run() const { return run_; }
    const std::vector<std::string>& rooms() const { return rooms_; }

    // Joins everybody, then starts the threads. False (with ADD_FAILUREs) when a join failed.
    bool Start() {
        for (int r = 0; r < o_.rooms; ++r) {
            sides_[r].sender = Connect(senders_[r], r, r % 2);
            sides_[r].observer = Connect(observers_[r], r, (r + 1) % 2);
            if (!sides_[r].sender.ws || !sides_[r].observer.ws) return false;
        }
        for (int r = 0; r < o_.rooms; ++r) {
            threads_.emplace_back([this, r] { SendLoop(r); });
            threads_.emplace_back([this, r] { ObserveLoop(r); });
        }
        return true;
    }
    // Ends the sends (each sender finishes its message in hand), lets the observers drain, joins.
    void Stop() {
        stop_ = true;
        for (auto& t : threads_) t.join();
        threads_.clear();
    }
    // Messages with an outcome so far.
    int answered() const { return answered_.load(); }
    // Waits until `n` more messages were accepted (bounded); false on timeout.
    bool WaitAccepted(int n, std::chrono::seconds timeout) {
        const int target = accepted_.load() + n;
        const auto deadline = SteadyClock::now() + timeout;
        while (accepted_.load() < target && SteadyClock::now() < deadline) std::this_thread::sleep_for(20ms);
        return accepted_.load() >= target;
    }

    struct Totals {
        int sent = 0, accepted = 0, refused = 0, silent = 0, cut = 0, reconnects = 0;
        int late = 0;                    // refused or cut, then echoed after all (counted as accepted)
        std::map<int, int> close_codes;  // the server's close codes seen by clients whose connection ended
    };
    Totals totals() const {
        Totals t;
        t.late = late_echoes_.load();
        for (const auto& s : sides_) {
            t.sent += static_cast<int>(s.sent.size());
            t.accepted += static_cast<int>(s.accepted.size());
            t.refused += static_cast<int>(s.refused.size());
            t.silent += static_cast<int>(s.silent.size());
            t.cut += static_cast<int>(s.cut.size());
            t.reconnects += s.reconnects;
            for (const auto& [code, n] : s.close_codes) t.close_codes[code] += n;
        }
        return t;
    }
    static std::string Describe(const Totals& t) {
        std::ostringstream os;
        os << t.sent << " sent: " << t.accepted << " accepted (echoed), " << t.refused << " refused (error frame), "
           << t.silent << " unanswered within 20 s, " << t.cut << " cut by a broken connection; " << t.reconnects
           << " reconnects; " << t.late << " echoed after their error or cut";
        for (const auto& [code, n] : t.close_codes) os << "; close " << code << " x" << n;
        return os.str();
    }

    // Every accepted message is stored exactly once (polled up to `timeout`), nothing but sent messages is
    // stored, and each room's stored order of accepted messages is the send order. Returns the seconds until
    // all accepted messages were in PostgreSQL (or -1).
    double ExpectStoredExactlyOnce(Pg& pg, std::chrono::seconds timeout) {
        std::set<std::string> accepted, sent;
        for (const auto& s : sides_) {
            accepted.insert(s.accepted.begin(), s.accepted.end());
            sent.insert(s.sent.begin(), s.sent.end());
        }
        std::vector<std::array<std::string, 3>> rows;
        std::string err;
        const auto start = SteadyClock::now();
        std::size_t present = 0;
        for (;;) {
            if (!pg.Tagged(rooms_, run_ + "-", rows, err)) {
                if (SteadyClock::now() - start > timeout) {
                    ADD_FAILURE() << "PostgreSQL: " << err;
                    return -1;
                }
                std::this_thread::sleep_for(500ms);
                continue;
            }
            std::set<std::string> stored;
            for (const auto& row : rows) stored.insert(row[2]);
            present = 0;
            for (const auto& t : accepted) present += stored.count(t);
            if (present == accepted.size() || SteadyClock::now() - start > timeout) break;
            std::this_thread::sleep_for(200ms);
        }
        const double drained = present == accepted.size() ? Since(start) : -1;
        std::this_thread::sleep_for(1s);  // a last look later, for duplicates of a replayed batch
        if (!pg.Tagged(rooms_, run_ + "-", rows, err)) ADD_FAILURE() << "PostgreSQL: " << err;

        std::map<std::string, int> count;
        for (const auto& row : rows) ++count[row[2]];
        int missing = 0, doubled = 0, unknown = 0;
        for (const auto& t : accepted)
            if (!count.count(t) && ++missing <= 5) ADD_FAILURE() << "accepted but not stored: " << t;
        for (const auto& [t, n] : count) {
            if (n != 1 && ++doubled <= 5) ADD_FAILURE() << "stored " << n << " times: " << t;
            if (!sent.count(t) && ++unknown <= 5) ADD_FAILURE() << "stored but never sent: " << t;
        }
        EXPECT_EQ(missing, 0) << "accepted messages missing from PostgreSQL after " << timeout.count() << " s";
        EXPECT_EQ(doubled, 0);
        EXPECT_EQ(unknown, 0);
        for (int r = 0; r < o_.rooms; ++r) {
            std::vector<std::string> order;
            for (const auto& row : rows)
                if (row[0] == rooms_[r] && accepted.count(row[2])) order.push_back(row[2]);
            EXPECT_TRUE(order == sides_[r].accepted)
                << "room " << r << ": stored order of accepted messages (" << order.size() << ") != send order ("
                << sides_[r].accepted.size() << ")";
        }
        std::cout << "[faults] stored: " << rows.size() << " rows for " << sent.size() << " sent, " << accepted.size()
                  << " accepted; all accepted stored " << std::fixed << std::setprecision(1) << drained
                  << " s after the traffic stopped" << std::endl;
        return drained;
    }

    // Every observer got every accepted message of its room exactly once, live or (after a reconnect) in the
    // history frame.
    void ExpectDelivered() {
        for (int r = 0; r < o_.rooms; ++r) {
            std::map<std::string, int> got;
            for (const auto& t : sides_[r].observed) ++got[t];
            int missing = 0, doubled = 0;
            for (const auto& t : sides_[r].accepted)
                if (!got.count(t) && ++missing <= 3) ADD_FAILURE() << "room " << r << ": observer never got " << t;
            for (const auto& [t, n] : got)
                if (n > 1 && ++doubled <= 3) ADD_FAILURE() << "room " << r << ": observer got " << n << " times " << t;
            EXPECT_EQ(missing + doubled, 0) << "room " << r << ": " << sides_[r].observed.size() << " observed";
        }
    }

  private:
    struct Side {
        Member sender, observer;
        std::vector<std::string> sent, accepted, refused, silent, cut;  // accepted: in echo order
        std::vector<std::string> observed;                              // live, plus history after reconnects
        int reconnects = 0;
        std::map<int, int> close_codes;
    };

    Member Connect(User& user, int room, int gateway) {
        if (o_.via_nginx) return Join(cfg_.nginx, rooms_[room], user, TokenIn::kHeader, "/api");
        return Join(cfg_.gateways[gateway], rooms_[room], user);
    }

    // After a broken connection: a fresh token, then a join through nginx (bounded retries).
    bool Reconnect(User& user, int room, Member& m, Side& side) {
        for (int attempt = 0; attempt < 40; ++attempt) {
            auto res = nginx_.Refresh(user.refresh_token);
            if (res.status == 200) {
                user.access_token = Str(res.Json(), "access_token");
                user.refresh_token = Str(res.Json(), "refresh_token");
                auto ws = ConnectRoom(cfg_.nginx, rooms_[room], user.access_token, TokenIn::kHeader, "/api");
                if (ws && ws->connected()) {
                    auto history = ws->Read(10s);
                    if (history.ok) {
                        auto v = ParseJson(history.text);
                        m = Member{};
                        m.ws = std::move(ws);
                        if (v && v->is_array()) m.history = v->as_array();
                        ++side.reconnects;
                        return true;
                    }
                }
            }
            std::this_thread::sleep_for(500ms);
        }
        return false;
    }

    std::string Tag(int r, int i) const {
        std::ostringstream os;
        os << run_ << "-r" << r << "-" << std::setw(6) << std::setfill('0') << i;
        return os.str();
    }
    std::string Tagged(const json::object& o) const {
        if (Str(o, "type") != "message") return {};
        std::string c = Str(o, "content");
        return c.rfind(run_ + "-", 0) == 0 ? c : std::string();
    }

    void NoteClose(Side& side, const WsClient::Frame& f) {
        if (!f.ok && !f.timed_out) ++side.close_codes[f.close_code];
    }

    void SendLoop(int r) {
        Side& side = sides_[r];
        User& user = senders_[r];
        std::set<std::string> echoed_late;  // echoes of messages already given up on
        for (int i = 0; !stop_ && (o_.per_sender == 0 || i < o_.per_sender); ++i) {
            const auto next = SteadyClock::now() + o_.pace;
            const std::string tag = Tag(r, i);
            side.sent.push_back(tag);
            if (!side.sender.ws || !side.sender.ws->Send(tag)) {
                side.cut.push_back(tag);
                if (!o_.reconnect || !Reconnect(user, r, side.sender, side)) break;
                continue;
            }
            enum { kWaiting, kAccepted, kRefused, kCut } outcome = kWaiting;
            const auto deadline = SteadyClock::now() + 20s;
            while (outcome == kWaiting && SteadyClock::now() < deadline) {
                auto f = side.sender.ws->Read(
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
                if (!f.ok) {
                    if (!f.timed_out) {
                        NoteClose(side, f);
                        outcome = kCut;
                    }
                    break;
                }
                auto v = ParseJson(f.text);
                if (!v || !v->is_object()) continue;
                const auto& o = v->as_object();
                if (Str(o, "type") == "error") {
                    outcome = kRefused;
                } else if (IsMessageFrom(o, user.user_id)) {
                    const std::string t = Tagged(o);
                    if (t == tag)
                        outcome = kAccepted;
                    else if (!t.empty())
                        echoed_late.insert(t);
                }
            }
            switch (outcome) {
                case kAccepted:
                    side.accepted.push_back(tag);
                    ++accepted_;
                    break;
                case kRefused:
                    side.refused.push_back(tag);
                    break;
                case kWaiting:
                    side.silent.push_back(tag);
                    break;
                case kCut:
                    side.cut.push_back(tag);
                    break;
            }
            ++answered_;
            if (outcome == kCut && (!o_.reconnect || !Reconnect(user, r, side.sender, side))) break;
            std::this_thread::sleep_until(next);
        }
        // A message refused after its timeout may still have been written, and echoed later: it is accepted too
        // (so it must be stored exactly once), after the others of its sender.
        for (const auto& t : echoed_late)
            if (std::find(side.accepted.begin(), side.accepted.end(), t) == side.accepted.end()) {
                late_echoes_ += 1;
                side.accepted.push_back(t);
            }
        std::sort(side.accepted.begin(), side.accepted.end());  // tags sort in send order
        senders_done_ += 1;
    }

    void ObserveLoop(int r) {
        Side& side = sides_[r];
        std::set<std::string> seen;
        auto take = [&](const json::value& v) {
            if (!v.is_object()) return;
            const std::string t = Tagged(v.as_object());
            if (!t.empty()) side.observed.push_back(t);
        };
        auto idle_since = SteadyClock::now();
        const auto hard_deadline = SteadyClock::now() + 300s;
        while (SteadyClock::now() < hard_deadline) {
            auto f = side.observer.ws->Read(500ms);
            if (f.ok) {
                if (auto v = ParseJson(f.text)) take(*v);
                idle_since = SteadyClock::now();
                continue;
            }
            if (!f.timed_out) {
                NoteClose(side, f);
                if (!o_.reconnect || !Reconnect(observers_[r], r, side.observer, side)) break;
                // The history frame (newest first) covers what was missed; what was seen already is not counted
                // twice.
                std::set<std::string> before(side.observed.begin(), side.observed.end());
                for (auto it = side.observer.history.rbegin(); it != side.observer.history.rend(); ++it) {
                    if (!it->is_object()) continue;
                    const std::string t = Tagged(it->as_object());
                    if (!t.empty() && !before.count(t)) side.observed.push_back(t);
                }
                continue;
            }
            if (senders_done_.load() == o_.rooms && SteadyClock::now() - idle_since > 3s) break;
        }
    }

    const Config& cfg_;
    const TrafficOptions o_;
    Api nginx_;
    std::string run_;
    std::vector<User> senders_, observers_;
    std::vector<std::string> rooms_;
    std::vector<Side> sides_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0}, accepted_{0}, senders_done_{0}, late_echoes_{0};
};

// ---------------------------------------------------------------- probes

// The body of GET /readyz of one process (its status in `status`).
std::string Readyz(unsigned short port, int* status) {
    Api api(port);
    auto res = api.Get("/readyz");
    if (status) *status = res.status;
    return res.body;
}

// Polls until pred(status, body) holds (bounded); returns the last body.
bool WaitReadyz(unsigned short port, std::chrono::seconds timeout,
                const std::function<bool(int, const std::string&)>& pred, std::string* last) {
    const auto deadline = SteadyClock::now() + timeout;
    do {
        int status = 0;
        *last = Readyz(port, &status);
        *last = std::to_string(status) + " " + *last;
        if (pred(status, *last)) return true;
        std::this_thread::sleep_for(250ms);
    } while (SteadyClock::now() < deadline);
    return false;
}

constexpr unsigned short kConsumerPorts[] = {18091, 18092};  // config/consumer-{1,2}.yaml

bool Ready(int status, const std::string& body) { return status == 200 && body.find("\"ready\"") != std::string::npos; }

// Waits until every gateway and consumer answers /readyz 200 "ready".
void ExpectAllReady(const Config& cfg, std::chrono::seconds timeout) {
    std::string last;
    for (auto port : cfg.gateways)
        EXPECT_TRUE(WaitReadyz(port, timeout, Ready, &last)) << "gateway " << port << ": " << last;
    for (auto port : kConsumerPorts)
        EXPECT_TRUE(WaitReadyz(port, timeout, Ready, &last)) << "consumer " << port << ": " << last;
}

// The fault scenarios that run chat traffic while they inject their fault.
class Faults : public ::testing::Test {
  protected:
    // Loads the configuration (failing the test when incomplete), connects to PostgreSQL, starts `options`'
    // traffic and waits until it had 100 messages accepted. Call it in ASSERT_NO_FATAL_FAILURE.
    void StartTraffic(TrafficOptions options, Needs needs = {.pg = true, .script = true}) {
        const std::string problems = LoadConfig(cfg_, needs);
        ASSERT_TRUE(problems.empty()) << "cluster test configuration:\n" << problems;
        pg_ = std::make_unique<Pg>(cfg_.dsn);
        ASSERT_TRUE(pg_->ok()) << pg_->error();
        traffic_ = std::make_unique<Traffic>(cfg_, options);
        ASSERT_FALSE(HasFailure());
        ASSERT_TRUE(traffic_->Start());
        ASSERT_TRUE(traffic_->WaitAccepted(100, 30s));
    }

    Config cfg_;
    std::unique_ptr<Pg> pg_;
    std::unique_ptr<Traffic> traffic_;
};

// ---------------------------------------------------------------- 3. Kafka broker restart

TEST_F(Faults, KafkaBrokerRestartDuringSendsLosesNothingAndAnswersEverySend) {
    ASSERT_NO_FATAL_FAILURE(StartTraffic(TrafficOptions{.rooms = 4, .pace = 50ms}));

    RestoreGuard guard(cfg_.script, "kafka");
    guard.Arm();
    const auto t0 = SteadyClock::now();
    EXPECT_EQ(RunScript(cfg_.script, "stop", "kafka"), 0);
    const double stopped_s = Since(t0);
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(guard.Restore(), 0) << "starting Kafka again";
    const double started_s = Since(t0);
    // Chat resumes: 200 more messages accepted after the broker is back.
    const bool resumed = traffic_->WaitAccepted(200, 90s);
    const double resumed_s = Since(t0);
    traffic_->Stop();
    EXPECT_TRUE(resumed) << "chat did not resume within 90 s of the broker's start";
    const auto t = traffic_->totals();
    std::cout << std::fixed << std::setprecision(1) << "[faults] Kafka restart: stopped in " << stopped_s
              << " s, started again at " << started_s << " s, 200 more accepted at " << resumed_s << " s; "
              << Traffic::Describe(t) << std::endl;
    EXPECT_EQ(t.silent, 0) << "every send gets its echo or an error frame";
    EXPECT_EQ(t.cut, 0);
    traffic_->ExpectStoredExactlyOnce(*pg_, 90s);
    traffic_->ExpectDelivered();
    ExpectAllReady(cfg_, 60s);
}

// ---------------------------------------------------------------- 4. PostgreSQL stopped for 30 s

TEST_F(Faults, PostgresStoppedThirtySecondsConsumersWaitAndCatchUp) {
    ASSERT_NO_FATAL_FAILURE(StartTraffic(TrafficOptions{.rooms = 4, .pace = 50ms}));

    RestoreGuard guard(cfg_.script, "pg");
    guard.Arm();
    ASSERT_EQ(RunScript(cfg_.script, "stop", "pg"), 0);
    const auto stopped = SteadyClock::now();
    // Meanwhile: each consumer's /readyz says why it is not ready, and the gateways keep chatting.
    for (auto port : kConsumerPorts) {
        std::string last;
        EXPECT_TRUE(WaitReadyz(
            port, 15s,
            [](int status, const std::string& body) {
                return status == 503 && body.find("postgres") != std::string::npos;
            },
            &last))
            << "consumer " << port << " /readyz while PostgreSQL is down: " << last;
        std::cout << "[faults] consumer " << port << " /readyz, PostgreSQL down: " << last.substr(0, 300) << std::endl;
    }
    const int before = traffic_->totals().accepted;
    std::this_thread::sleep_until(stopped + 30s);
    const int during = traffic_->totals().accepted - before;
    EXPECT_GT(during, 200) << "messages accepted while PostgreSQL was down";
    EXPECT_EQ(guard.Restore(), 0) << "starting PostgreSQL again";
    const auto started = SteadyClock::now();
    std::string last;
    for (auto port : kConsumerPorts)
        EXPECT_TRUE(WaitReadyz(port, 60s, Ready, &last)) << "consumer " << port << ": " << last;
    const double ready_s = Since(started);
    ASSERT_TRUE(traffic_->WaitAccepted(100, 30s));
    traffic_->Stop();
    const auto t = traffic_->totals();
    std::cout << std::fixed << std::setprecision(1) << "[faults] PostgreSQL stopped 30 s: " << during
              << " messages accepted meanwhile; consumers ready " << ready_s << " s after its start; "
              << Traffic::Describe(t) << std::endl;
    EXPECT_EQ(t.refused + t.silent + t.cut, 0) << "the gateways keep chatting without PostgreSQL";
    traffic_->ExpectStoredExactlyOnce(*pg_, 90s);
    traffic_->ExpectDelivered();
    ExpectAllReady(cfg_, 60s);
}

// ---------------------------------------------------------------- 5. Redis stopped

TEST_F(Faults, RedisStoppedChatGoesOnPresenceDegradesAndRecovers) {
    ASSERT_NO_FATAL_FAILURE(
        StartTraffic(TrafficOptions{.rooms = 4, .pace = 50ms}, Needs{.pg = true, .redis = true, .script = true}));
    Api nginx(cfg_.nginx, "/api");
    User asker = nginx.NewUser(RunTag() + "rq");
    User late = nginx.NewUser(RunTag() + "rl");
    ASSERT_FALSE(HasFailure());
    const std::string room = traffic_->rooms()[0];

    RestoreGuard guard(cfg_.script, "redis");
    guard.Arm();
    ASSERT_EQ(RunScript(cfg_.script, "stop", "redis"), 0);
    const auto stopped = SteadyClock::now();
    // The gateways say they are degraded, and still serve.
    for (auto port : cfg_.gateways) {
        std::string last;
        EXPECT_TRUE(WaitReadyz(
            port, 10s,
            [](int status, const std::string& body) {
                return status == 200 && body.find("degraded") != std::string::npos &&
                       body.find("redis") != std::string::npos;
            },
            &last))
            << "gateway " << port << " /readyz while Redis is down: " << last;
        std::cout << "[faults] gateway " << port << " /readyz, Redis down: " << last.substr(0, 300) << std::endl;
    }
    // Who is online is unknown: 503, not a wrong list.
    auto clients = nginx.Clients(asker.access_token, room);
    EXPECT_EQ(clients.status, 503) << clients.Describe();
    // A user joining now gets the history from PostgreSQL (plus what the gateway fanned out recently).
    ASSERT_TRUE(traffic_->WaitAccepted(100, 30s)) << "chat stopped without Redis";
    Member joiner = Join(cfg_.gateways[0], room, late);
    ASSERT_TRUE(joiner.ws) << "joining without Redis";
    int tagged = 0;
    for (const auto& m : joiner.history)
        if (Str(m, "content").rfind(traffic_->run() + "-", 0) == 0) ++tagged;
    EXPECT_GE(tagged, 50) << "history while Redis is down: " << joiner.history.size() << " messages, " << tagged
                          << " of this test";
    std::this_thread::sleep_until(stopped + 10s);

    EXPECT_EQ(guard.Restore(), 0) << "starting Redis again";
    const auto started = SteadyClock::now();
    // Presence comes back: the gateways list their connections again at their next refresh (ttl / 3).
    std::set<std::string> listed;
    std::string why;
    bool back = false;
    while (!back && SteadyClock::now() - started < 30s) {
        if (auto got = ClientNicknames(nginx, asker, room, &why)) {
            listed = *got;
            back = listed.count(late.nickname) > 0;
        }
        if (!back) std::this_thread::sleep_for(250ms);
    }
    const double presence_s = Since(started);
    EXPECT_TRUE(back) << late.nickname << " not in /clients 30 s after Redis returned: " << why;
    ExpectAllReady(cfg_, 30s);
    const double ready_s = Since(started);
    ASSERT_TRUE(traffic_->WaitAccepted(100, 30s));
    traffic_->Stop();
    joiner.ws->Close();
    const auto t = traffic_->totals();
    std::cout << std::fixed << std::setprecision(1) << "[faults] Redis stopped ~10 s: joiner's history had " << tagged
              << " of this test's messages; presence back " << presence_s << " s and every /readyz ready " << ready_s
              << " s after Redis started; " << Traffic::Describe(t) << std::endl;
    EXPECT_EQ(t.refused + t.silent + t.cut, 0) << "chat goes on without Redis";
    traffic_->ExpectStoredExactlyOnce(*pg_, 90s);
    traffic_->ExpectDelivered();
    // The history cache is right again: a join now gets the newest chat rows of PostgreSQL (the room has more than
    // 100 chat messages, so its join history shows no join or leave).
    std::vector<std::string> newest;
    ASSERT_TRUE(pg_->NewestChatIds(room, 100, newest, why)) << why;
    User again = nginx.NewUser(RunTag() + "ra");
    Member after = Join(cfg_.gateways[1], room, again);
    ASSERT_TRUE(after.ws);
    std::vector<std::string> ids;
    for (const auto& m : after.history) ids.push_back(Str(m, "id"));
    EXPECT_EQ(ids, newest) << "history after Redis returned != PostgreSQL's newest chat rows";
}

// ---------------------------------------------------------------- 2. kill -9 of a gateway, clients reconnect

TEST_F(Faults, KillGatewayClientsReconnectThroughNginxAndNothingIsLostOrDoubled) {
    ASSERT_NO_FATAL_FAILURE(StartTraffic(TrafficOptions{.rooms = 4, .pace = 50ms, .reconnect = true}));

    RestoreGuard guard(cfg_.script, "websocket-2");
    guard.Arm();
    ASSERT_EQ(RunScript(cfg_.script, "kill", "websocket-2"), 0);
    const auto killed = SteadyClock::now();
    // Its clients reconnect through nginx to websocket-1 and go on.
    const bool resumed = traffic_->WaitAccepted(200, 60s);
    const double resumed_s = Since(killed);
    traffic_->Stop();
    EXPECT_TRUE(resumed);
    const auto t = traffic_->totals();
    std::cout << std::fixed << std::setprecision(1) << "[faults] kill -9 websocket-2: 200 more accepted " << resumed_s
              << " s later; " << Traffic::Describe(t) << std::endl;
    EXPECT_GE(t.reconnects, 4) << "the clients of websocket-2 (2 senders, 2 observers) reconnect";
    EXPECT_EQ(t.refused + t.silent, 0);
    traffic_->ExpectStoredExactlyOnce(*pg_, 90s);
    traffic_->ExpectDelivered();
    EXPECT_EQ(guard.Restore(), 0);
}

// ---------------------------------------------------------------- 8. graceful shutdown of every role

TEST_F(Faults, GracefulShutdownOfEachRoleUnderLoadLosesNothingAndClosesWith1001) {
    ASSERT_NO_FATAL_FAILURE(StartTraffic(TrafficOptions{.rooms = 4, .pace = 50ms, .reconnect = true}));
    for (const std::string name : {"consumer-1", "websocket-1", "consumer-2", "websocket-2"}) {
        ASSERT_TRUE(traffic_->WaitAccepted(100, 60s)) << "before stopping " << name;
        RestoreGuard guard(cfg_.script, name);
        guard.Arm();
        const auto t0 = SteadyClock::now();
        EXPECT_EQ(RunScript(cfg_.script, "stop", name), 0) << name;
        const double stop_s = Since(t0);
        EXPECT_TRUE(traffic_->WaitAccepted(100, 60s)) << "chat did not go on with " << name << " stopped";
        EXPECT_EQ(guard.Restore(), 0) << name;
        std::cout << std::fixed << std::setprecision(1) << "[faults] SIGTERM " << name << ": exited in " << stop_s
                  << " s" << std::endl;
    }
    ASSERT_TRUE(traffic_->WaitAccepted(100, 60s));
    traffic_->Stop();
    const auto t = traffic_->totals();
    std::cout << "[faults] graceful shutdowns: " << Traffic::Describe(t) << std::endl;
    EXPECT_EQ(t.refused + t.silent, 0);
    // Every connection a gateway ended was closed with 1001 (going away), none dropped.
    int closes = 0;
    for (const auto& [code, n] : t.close_codes) {
        closes += n;
        EXPECT_EQ(code, 1001) << n << " connections ended with " << code;
    }
    EXPECT_GE(closes, 4) << "each gateway's 2 senders and 2 observers were closed";
    traffic_->ExpectStoredExactlyOnce(*pg_, 90s);
    traffic_->ExpectDelivered();
    ExpectAllReady(cfg_, 60s);
}

// ---------------------------------------------------------------- 6. poison records

// Produces records straight into a topic, as a misbehaving producer would, and reads a topic from its start.
class RawKafka {
  public:
    explicit RawKafka(const std::string& brokers) : brokers_(brokers) {}

    // Produces (key, value) pairs to `topic` with the gateways' partitioner; fills the partition and offset of
    // each. False and why on any failure.
    bool Produce(const std::string& topic, const std::vector<std::pair<std::string, std::string>>& records,
                 std::vector<std::pair<int, std::int64_t>>& where, std::string& err) {
        char errstr[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers_.c_str(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "message.max.bytes", "2000000", errstr, sizeof errstr);
        rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
            auto* out = static_cast<std::pair<int, std::int64_t>*>(m->_private);
            *out =
                m->err ? std::pair<int, std::int64_t>{-1, -1} : std::pair<int, std::int64_t>{m->partition, m->offset};
        });
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!rk) {
            err = errstr;
            return false;
        }
        where.assign(records.size(), {-2, -2});
        for (std::size_t i = 0; i < records.size(); ++i) {
            const auto& [key, value] = records[i];
            if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&where[i]),
                                  RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                err = "produce failed";
            }
        }
        rd_kafka_flush(rk, 15000);
        rd_kafka_destroy(rk);
        for (const auto& w : where)
            if (w.first < 0) err = "a record was not delivered";
        return err.empty();
    }

    struct Record {
        std::string value;
        std::map<std::string, std::string> headers;
    };
    // Every record of partition 0 of `topic` from its start whose value contains `marker` (bounded wait).
    std::vector<Record> ReadContaining(const std::string& topic, const std::string& marker, std::size_t want,
                                       std::chrono::seconds timeout) {
        std::vector<Record> out;
        char errstr[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers_.c_str(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "group.id", ("rooms-fault-test-" + marker).c_str(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        if (!rk) return out;
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, list);
        rd_kafka_topic_partition_list_destroy(list);
        const auto deadline = SteadyClock::now() + timeout;
        while (out.size() < want && SteadyClock::now() < deadline) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
            if (!m) continue;
            if (!m->err) {
                std::string value(static_cast<const char*>(m->payload), m->len);
                if (value.find(marker) != std::string::npos) {
                    Record r{std::move(value), {}};
                    rd_kafka_headers_t* hdrs = nullptr;
                    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                        const char* name;
                        const void* val;
                        size_t size;
                        for (size_t i = 0;
                             rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
                            r.headers[name] = std::string(static_cast<const char*>(val), size);
                    }
                    out.push_back(std::move(r));
                }
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return out;
    }

  private:
    std::string brokers_;
};

std::string MessageJson(std::int64_t id, const std::string& room, const std::string& content) {
    json::object o{{"id", id},           {"room_id", std::stoll(room)},
                   {"user_id", 1},       {"nickname", "poison"},
                   {"content", content}, {"time_created", std::int64_t{1'800'000'000'000'000}},
                   {"type", "message"}};
    return json::serialize(o);
}

TEST_F(Faults, PoisonRecordsGoToTheDeadLetterTopicAndTheNextMessagesPersist) {
    LOAD_CONFIG(cfg, .pg = true);
    const std::string brokers = Env("ROOMS_CLUSTER_KAFKA_BROKERS");
    ASSERT_FALSE(brokers.empty()) << "ROOMS_CLUSTER_KAFKA_BROKERS is not set (the cluster's Kafka, HOST:PORT)";
    Pg pg(cfg.dsn);
    ASSERT_TRUE(pg.ok()) << pg.error();
    Api nginx(cfg.nginx, "/api");
    User a = nginx.NewUser(RunTag() + "pa");
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(a, RunTag() + "poison");
    Member ma = Join(cfg.gateways[0], room, a);
    ASSERT_TRUE(ma.ws);

    const std::string marker = RunTag() + "p" + std::to_string(std::random_device{}() % 1000000);
    std::mt19937_64 rng{std::random_device{}()};
    auto fresh_id = [&] { return static_cast<std::int64_t>(rng() >> 2) | 1; };
    // Keyed by the room, so all three land in the partition of the room's messages, ahead of them.
    const std::vector<std::pair<std::string, std::string>> poison{
        {room, "{not json " + marker},
        {room, MessageJson(fresh_id(), "9000000000000001", "unknown room " + marker)},
        {room, MessageJson(fresh_id(), room, marker + " too long " + std::string(70'000, 'x'))},
    };
    const std::vector<std::string> reasons_expected{"JSON", "room", "content"};
    RawKafka kafka(brokers);
    std::vector<std::pair<int, std::int64_t>> where;
    std::string err;
    ASSERT_TRUE(kafka.Produce("messages", poison, where, err)) << err;
    const auto produced = SteadyClock::now();

    // The room's next messages persist.
    std::vector<std::string> sent;
    for (int i = 0; i < 5; ++i) {
        sent.push_back(marker + "-after-" + std::to_string(i));
        ASSERT_TRUE(SendAndAwaitEcho(*ma.ws, a, sent.back(), 10s)) << sent.back();
    }
    std::vector<std::array<std::string, 3>> rows;
    const auto deadline = SteadyClock::now() + 30s;
    while (SteadyClock::now() < deadline) {
        ASSERT_TRUE(pg.Tagged({room}, marker + "-after-", rows, err)) << err;
        if (rows.size() >= sent.size()) break;
        std::this_thread::sleep_for(200ms);
    }
    const double persisted_s = Since(produced);
    std::vector<std::string> stored;
    for (const auto& row : rows) stored.push_back(row[2]);
    EXPECT_EQ(stored, sent) << "the messages after the poison records in the same partition";

    // Each poison record is in the dead-letter topic, with why and where it came from.
    auto dead = kafka.ReadContaining("messages.dlq", marker, poison.size(), 30s);
    const double dead_s = Since(produced);
    ASSERT_EQ(dead.size(), poison.size()) << "records of this test in messages.dlq";
    for (std::size_t i = 0; i < poison.size(); ++i) {
        const auto it =
            std::find_if(dead.begin(), dead.end(), [&](const auto& d) { return d.value == poison[i].second; });
        ASSERT_NE(it, dead.end()) << "poison record " << i << " not in messages.dlq unchanged";
        EXPECT_EQ(it->headers["source_topic"], "messages");
        EXPECT_EQ(it->headers["source_partition"], std::to_string(where[i].first));
        EXPECT_EQ(it->headers["source_offset"], std::to_string(where[i].second));
        EXPECT_NE(it->headers["reason"].find(reasons_expected[i]), std::string::npos)
            << "record " << i << " reason: " << it->headers["reason"];
        std::cout << "[faults] poison record " << i << " -> messages.dlq, partition " << where[i].first << " offset "
                  << where[i].second << ", reason: " << it->headers["reason"].substr(0, 200) << std::endl;
    }
    // None of them was stored.
    ASSERT_TRUE(pg.Tagged({room}, "", rows, err)) << err;
    for (const auto& row : rows)
        EXPECT_EQ(row[2].find(marker + " too long"), std::string::npos) << "a poison record was stored";
    std::cout << std::fixed << std::setprecision(1) << "[faults] poison: the next messages stored " << persisted_s
              << " s and all 3 records in messages.dlq " << dead_s << " s after they were produced" << std::endl;
}

// ---------------------------------------------------------------- 7. slow client in a room of 50

// Resident memory of a process, from /proc (kB), or -1.
long RssKb(const std::string& pidfile) {
    std::ifstream pf(pidfile);
    long pid = 0;
    if (!(pf >> pid)) return -1;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

TEST_F(Faults, SlowClientInARoomOfFiftyIsDroppedAndTheOthersGetEverything) {
    LOAD_CONFIG(cfg);
    const std::string run_dir = Env("ROOMS_CLUSTER_RUN_DIR");
    ASSERT_FALSE(run_dir.empty())
        << "ROOMS_CLUSTER_RUN_DIR is not set (the cluster's pid files, e.g. .services/cluster)";
    Api nginx(cfg.nginx, "/api");
    constexpr int kMembers = 50, kSenders = 5, kTotal = 10000, kPerSender = kTotal / kSenders;
    const std::string run = RunTag() + "s" + std::to_string(std::random_device{}() % 1000000);
    std::vector<User> users;
    for (int i = 0; i < kMembers; ++i) users.push_back(nginx.NewUser(RunTag() + "sl"));
    ASSERT_FALSE(HasFailure());
    const std::string room = nginx.NewRoom(users[0], RunTag() + "slow");
    // users[0] is the slow one, on websocket-1 with a small receive buffer; the others alternate gateways.
    WsClient::Options slow_options;
    slow_options.target = "/chat/rooms/" + room;
    slow_options.authorization = users[0].Bearer();
    slow_options.receive_buffer_bytes = 4096;
    WsClient slow(cfg.gateways[0], slow_options);
    ASSERT_TRUE(slow.connected()) << slow.error();
    std::vector<Member> members(kMembers);
    for (int i = 1; i < kMembers; ++i) {
        members[i] = Join(cfg.gateways[i % 2], room, users[i]);
        ASSERT_TRUE(members[i].ws) << "member " << i;
    }
    const long rss_before = RssKb(run_dir + "/websocket-1.pid");
    const std::string padding(900, 'x');  // ~1 KB messages, so that the slow client's buffers fill
    auto tag_of = [&](int s, int i) {
        std::ostringstream os;
        os << run << "-" << s << "-" << std::setw(5) << std::setfill('0') << i << "-" << padding;
        return os.str();
    };
    std::atomic<int> senders_left{kSenders};
    std::vector<std::string> errors(kMembers);
    std::vector<int> received(kMembers, 0);
    std::atomic<long> rss_peak{rss_before};
    std::vector<std::thread> threads;
    // Members 1..kSenders send (waiting for each echo); everybody but the slow one reads everything.
    for (int m = 1; m < kMembers; ++m) {
        threads.emplace_back([&, m] {
            WsClient& ws = *members[m].ws;
            const bool sender = m <= kSenders;
            int sent = 0;
            auto idle_since = SteadyClock::now();
            const auto hard_deadline = SteadyClock::now() + 240s;
            if (sender && !ws.Send(tag_of(m, sent++))) errors[m] = "send failed";
            while (SteadyClock::now() < hard_deadline) {
                auto f = ws.Read(500ms);
                if (!f.ok) {
                    if (!f.timed_out) {
                        errors[m] = "connection ended: " + f.Describe();
                        break;
                    }
                    if (senders_left == 0 && SteadyClock::now() - idle_since > 3s) break;
                    continue;
                }
                idle_since = SteadyClock::now();
                auto v = ParseJson(f.text);
                if (!v || !v->is_object() || Str(*v, "type") != "message") continue;
                const std::string c = Str(*v, "content");
                if (c.rfind(run + "-", 0) != 0) continue;
                ++received[m];
                if (sender && Str(*v, "user_id") == users[m].user_id &&
                    c.rfind(run + "-" + std::to_string(m) + "-", 0) == 0) {
                    if (sent < kPerSender) {
                        if (!ws.Send(tag_of(m, sent++))) errors[m] = "send failed";
                    } else if (sent == kPerSender) {
                        ++sent;
                        --senders_left;
                    }
                }
            }
            if (sender && sent <= kPerSender && errors[m].empty()) {
                errors[m] = "sent only " + std::to_string(sent);
                --senders_left;
            }
        });
    }
    std::thread sampler([&] {
        while (senders_left > 0) {
            rss_peak = std::max(rss_peak.load(), RssKb(run_dir + "/websocket-1.pid"));
            std::this_thread::sleep_for(200ms);
        }
    });
    for (auto& t : threads) t.join();
    sampler.join();
    // The slow client now reads what reached it: a history, some messages, then the server's close.
    int slow_messages = 0, close_code = -1;
    std::string close_reason;
    WsClient::Frame last;
    for (int i = 0; i < kTotal + 1000; ++i) {
        last = slow.Read(5s);
        if (!last.ok) break;
        ++slow_messages;
    }
    close_code = last.close_code;
    close_reason = last.ok ? "still open" : last.Describe();
    const long rss_after = RssKb(run_dir + "/websocket-1.pid");
    std::cout << "[faults] slow client in a room of " << kMembers << ", " << kTotal << " messages of ~1 KB: it got "
              << slow_messages << " frames, then close " << close_code << " (" << close_reason << "); websocket-1 RSS "
              << rss_before / 1024 << " MiB before, peak " << rss_peak.load() / 1024 << " MiB, " << rss_after / 1024
              << " MiB after" << std::endl;
    for (int m = 1; m < kMembers; ++m) {
        EXPECT_TRUE(errors[m].empty()) << "member " << m << ": " << errors[m];
        EXPECT_EQ(received[m], kTotal) << "member " << m << " on websocket-" << (m % 2 ? 2 : 1);
    }
    // Its connection ended (with 1008 or 1013 when the close frame made it through the full buffers).
    EXPECT_FALSE(last.ok || last.timed_out)
        << "the slow client is still connected after " << slow_messages << " frames";
    if (close_code >= 0) {
        EXPECT_TRUE(close_code == 1008 || close_code == 1013) << "close code " << close_code;
    }
    EXPECT_LT(slow_messages, kTotal) << "the slow client got everything: it was not dropped";
    // Bounded: the slow client's queue (1,024 messages) and buffers, not 10,000 messages, are what it may hold.
    EXPECT_LT(rss_peak.load() - rss_before, 256 * 1024)
        << "websocket-1 grew by " << (rss_peak.load() - rss_before) / 1024 << " MiB";
}

}  // namespace
}  // namespace rooms_cluster
