// Process lifecycle: graceful shutdown (close 1001 to connected clients, exit 0, everything flushed), a
// restart with the same data directory (users, tokens, rooms and history survive), and kill -9 under load
// (every message a client was shown survives).

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

/// Reads until the connection ends (bounded); collects the messages read before.
WsClient::Frame ReadToEnd(WsClient& ws, std::vector<json::object>* seen = nullptr,
                          std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    WsClient::Frame f;
    f.timed_out = true;
    for (int i = 0; i < 100000; ++i) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        f = ws.Read(left);
        if (!f.ok) return f;
        if (seen) {
            if (auto v = ParseJson(f.text); v && v->is_object()) seen->push_back(v->as_object());
        }
    }
    return f;
}

class LifecycleTest : public ::testing::Test {
  protected:
    void TearDown() override {
        if (HasFailure() && server_) {
            server_->Keep();
            std::cerr << server_->LogTail(60) << "e2e: kept " << server_->data_dir() << "\n";
        }
    }
    ServerProcess& NewServer(std::map<std::string, std::string> env) {
        server_ = std::make_unique<ServerProcess>(std::move(env));
        return *server_;
    }
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(LifecycleTest, GracefulShutdownThenRestartKeepsUsersRoomsAndHistory) {
    // Join and leave notices may still wait for their commit when SIGTERM arrives: shutdown commits them.
    ServerProcess& server = NewServer(NoRateLimit());
    ASSERT_EQ(server.Start(), "");
    Api api(server.port());
    User a = api.NewUser("life"), b = api.NewUser("life");
    const std::string room_name = Unique("Durable room");
    auto created = api.CreateRoom(a.access_token, room_name);
    ASSERT_EQ(created.status, 200) << created.Describe();
    const std::string room = Str(created.Json(), "id");

    Member ma = Join(server.port(), room, a), mb = Join(server.port(), room, b);
    ASSERT_TRUE(ma.ws && mb.ws);
    std::vector<std::string> sent;
    std::vector<std::string> sent_ids;
    for (const auto& [who, text] : std::vector<std::pair<int, std::string>>{{0, "first from a"}, {1, "reply from b"}}) {
        auto echo = SendAndAwaitEcho(who == 0 ? *ma.ws : *mb.ws, who == 0 ? a : b, text);
        ASSERT_TRUE(echo);
        sent.push_back(text);
        sent_ids.push_back(Str(*echo, "id"));
    }
    // A burst, and SIGTERM as soon as the server has accepted the last of it.
    for (int i = 0; i < 30; ++i) {
        sent.push_back("burst " + std::to_string(i));
        ASSERT_TRUE(ma.ws->Send(sent.back()));
    }
    std::vector<json::object> seen;
    ASSERT_TRUE(ReadUntil(
        *ma.ws, [&](const json::object& o) { return Str(o, "content") == "burst 29"; }, 10s, 1000, &seen));
    server.Signal(SIGTERM);
    for (const auto& m : seen)
        if (Str(m, "type") == "message" && Str(m, "user_id") == a.user_id) sent_ids.push_back(Str(m, "id"));
    ASSERT_EQ(sent_ids.size(), sent.size());

    auto fa = ReadToEnd(*ma.ws), fb = ReadToEnd(*mb.ws);
    EXPECT_EQ(fa.close_code, 1001) << "a: " << fa.Describe();
    EXPECT_EQ(fb.close_code, 1001) << "b: " << fb.Describe();
    const int status = server.Wait(15s);
    EXPECT_EQ(status, 0) << "exit status after SIGTERM";
    ASSERT_NE(status, -1) << "the server did not exit within 15 s of SIGTERM";

    // Restart on the same data directory.
    ASSERT_EQ(server.Start(), "");
    Api api2(server.port());
    auto login = api2.Login(a.nickname, a.password);
    EXPECT_EQ(login.status, 200) << "users survive a restart: " << login.Describe();
    EXPECT_EQ(Str(login.Json(), "user_id"), a.user_id);
    auto again = api2.Register(b.nickname, "whatever123");
    EXPECT_EQ(again.status, 409) << again.Describe();
    auto rooms = api2.ListRooms(a.access_token);
    EXPECT_EQ(rooms.status, 200) << "the JWT key survives a restart (old access token): " << rooms.Describe();
    bool found = false;
    const json::value room_list = rooms.Json();
    if (room_list.is_array())
        for (const auto& r : room_list.as_array())
            if (Str(r, "id") == room) {
                found = true;
                EXPECT_EQ(Str(r, "name"), room_name);
            }
    EXPECT_TRUE(found) << "the room survives a restart: " << rooms.Describe();
    auto refreshed = api2.Refresh(b.refresh_token);
    EXPECT_EQ(refreshed.status, 200) << "refresh tokens survive a restart: " << refreshed.Describe();

    // The history frame holds every message, including those sent right before SIGTERM.
    Member mc = Join(server.port(), room, a);
    ASSERT_TRUE(mc.ws);
    std::vector<std::string> contents, ids;
    for (auto it = mc.history.rbegin(); it != mc.history.rend(); ++it) {
        if (Str(*it, "type") != "message") continue;
        contents.push_back(Str(*it, "content"));
        ids.push_back(Str(*it, "id"));
    }
    EXPECT_EQ(contents, sent) << "history after restart: " << Serialize(mc.history);
    EXPECT_EQ(ids, sent_ids);
    // And the scroll-back endpoint agrees.
    auto page = api2.Messages(a.access_token, room, "limit=100");
    ASSERT_EQ(page.status, 200) << page.Describe();
    std::size_t messages = 0;
    const json::value page_list = page.Json();
    ASSERT_TRUE(page_list.is_array()) << page.Describe();
    for (const auto& m : page_list.as_array())
        if (Str(m, "type") == "message") ++messages;
    EXPECT_EQ(messages, sent.size());
    // New ids after the restart do not collide with the old ones.
    auto echo = SendAndAwaitEcho(*mc.ws, a, "after restart");
    ASSERT_TRUE(echo);
    EXPECT_EQ(std::find(sent_ids.begin(), sent_ids.end(), Str(*echo, "id")), sent_ids.end());

    mc.ws->Abort();
    EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(LifecycleTest, SigintIsAGracefulShutdownToo) {
    ServerProcess& server = NewServer(NoRateLimit());
    ASSERT_EQ(server.Start(), "");
    Api api(server.port());
    User a = api.NewUser("int");
    const std::string room = api.NewRoom(a);
    Member ma = Join(server.port(), room, a);
    ASSERT_TRUE(ma.ws);
    ASSERT_TRUE(SendAndAwaitEcho(*ma.ws, a, "before SIGINT"));
    server.Signal(SIGINT);
    auto f = ReadToEnd(*ma.ws);
    EXPECT_EQ(f.close_code, 1001) << f.Describe();
    EXPECT_EQ(server.Wait(15s), 0);

    ASSERT_EQ(server.Start(), "");
    Api api2(server.port());
    auto page = api2.Messages(a.access_token, room, "limit=10");
    ASSERT_EQ(page.status, 200) << page.Describe();
    EXPECT_NE(page.body.find("before SIGINT"), std::string::npos) << page.Describe();
    EXPECT_EQ(server.Stop(SIGTERM), 0);
}

/// One client of the kill -9 test: its own connection and thread, sending as fast as the server echoes (at most
/// kInFlight unechoed) and recording every room message it receives, until the connection ends.
struct LoadClient {
    static constexpr int kInFlight = 200;
    User user;
    int index = 0;
    std::unique_ptr<WsClient> ws;
    std::vector<std::pair<std::string, std::string>> received;  // id, content
    int sent = 0;
    std::atomic<bool>* stop = nullptr;
    std::atomic<std::int64_t>* received_total = nullptr;

    void Run() {
        const std::string mine = "load " + std::to_string(index) + " ";
        int unechoed = 0;
        const auto deadline = Clock::now() + 60s;
        while (!stop->load() && Clock::now() < deadline) {
            for (int i = 0; i < 20 && unechoed < kInFlight; ++i) {
                if (!ws->Send(mine + std::to_string(sent), 2s)) return;  // the server is gone
                ++sent;
                ++unechoed;
            }
            for (int reads = 0; reads < 1000; ++reads) {
                auto f = ws->Read(unechoed >= kInFlight ? 200ms : 1ms);
                if (f.timed_out) break;
                if (!f.ok) return;  // the server is gone
                auto v = ParseJson(f.text);
                if (!v || !v->is_object()) continue;
                const auto& o = v->as_object();
                const std::string id = Str(o, "id"), content = Str(o, "content");
                if (id.empty()) continue;  // an error frame
                received.emplace_back(id, content);
                received_total->fetch_add(1);
                if (content.starts_with(mine)) --unechoed;
            }
        }
    }
};

TEST_F(LifecycleTest, KillMinus9UnderLoadLosesNoMessageAClientWasShown) {
    ServerProcess& server = NewServer(NoRateLimit());
    ASSERT_EQ(server.Start(), "");
    Api api(server.port());
    constexpr int kClients = 4;
    std::vector<LoadClient> clients(kClients);
    std::atomic<bool> stop = false;
    std::atomic<std::int64_t> received_total = 0;
    for (int i = 0; i < kClients; ++i) clients[i].user = api.NewUser("crash");
    const std::string room = api.NewRoom(clients[0].user, "crash");
    for (int i = 0; i < kClients; ++i) {
        Member m = Join(server.port(), room, clients[i].user);
        ASSERT_TRUE(m.ws);
        clients[i].ws = std::move(m.ws);
        clients[i].index = i;
        clients[i].stop = &stop;
        clients[i].received_total = &received_total;
    }

    // Load, then kill -9 in the middle of it: once the clients have been shown 20,000 messages (or after 4 s).
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (auto& c : clients) threads.emplace_back([&c] { c.Run(); });
    while (received_total.load() < 20'000 && Clock::now() - start < 4s) std::this_thread::sleep_for(5ms);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    server.Kill();
    for (auto& t : threads) t.join();  // each ends when its connection does
    stop = true;

    // Every message any client received, counted once per id (every client sees every message of the room).
    std::map<std::string, std::string> shown;
    int sent = 0;
    for (const auto& c : clients) {
        sent += c.sent;
        for (const auto& [id, content] : c.received) shown.emplace(id, content);
    }
    std::cout << "kill -9 after " << seconds << " s: " << sent << " sent (" << static_cast<int>(sent / seconds)
              << "/s), " << shown.size() << " distinct messages shown to the clients\n";
    ASSERT_GT(shown.size(), 1000u) << "the load did not get going";

    // Restart on the same data directory and read the whole history, page by page (newest first).
    ASSERT_EQ(server.Start(), "");
    Api api2(server.port());
    std::map<std::string, int> stored;  // id -> how many times the history holds it
    std::map<std::string, std::string> stored_content;
    std::string before;
    for (int pages = 0; pages < 10'000; ++pages) {
        auto page = api2.Messages(clients[0].user.access_token, room,
                                  "limit=100" + (before.empty() ? "" : "&before=" + before));
        ASSERT_EQ(page.status, 200) << page.Describe();
        const json::value list = page.Json();
        ASSERT_TRUE(list.is_array()) << page.Describe();
        if (list.as_array().empty()) break;
        for (const auto& m : list.as_array()) {
            ++stored[Str(m, "id")];
            stored_content[Str(m, "id")] = Str(m, "content");
        }
        before = Str(list.as_array().back(), "id");
    }
    int missing = 0, repeated = 0, changed = 0;
    std::string first_missing;
    for (const auto& [id, content] : shown) {
        const auto it = stored.find(id);
        if (it == stored.end()) {
            if (missing++ == 0) first_missing = id + " " + content;
            continue;
        }
        repeated += it->second > 1;
        changed += stored_content[id] != content;
    }
    EXPECT_EQ(missing, 0) << missing << " of " << shown.size()
                          << " messages shown to the clients are not in the history after kill -9 (first: "
                          << first_missing << ")";
    EXPECT_EQ(repeated, 0) << "messages stored more than once";
    EXPECT_EQ(changed, 0) << "messages whose stored content differs from what was shown";
    EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(LifecycleTest, IdleServerStopsPromptly) {
    ServerProcess& server = NewServer(NoRateLimit());
    ASSERT_EQ(server.Start(), "");
    const auto start = Clock::now();
    EXPECT_EQ(server.Stop(SIGTERM, 10s), 0);
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(), 5000);
}

TEST_F(LifecycleTest, ServerWithoutStateStartsWithAnEmptyRoomList) {
    ServerProcess& server = NewServer(NoRateLimit());
    ASSERT_EQ(server.Start(), "");
    Api api(server.port());
    User a = api.NewUser("fresh");
    auto rooms = api.ListRooms(a.access_token);
    ASSERT_EQ(rooms.status, 200) << rooms.Describe();
    EXPECT_EQ(rooms.Json(), json::value(json::array{})) << "[] when there are no rooms";
    EXPECT_EQ(server.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace rooms_e2e
