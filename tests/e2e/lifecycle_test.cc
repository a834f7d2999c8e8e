// Process lifecycle: graceful shutdown (close 1001 to connected clients, exit 0, everything flushed) and a
// restart with the same data directory (users, tokens, rooms and history survive).

#include <gtest/gtest.h>
#include <signal.h>

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
    // A long flush interval: the last messages are still waiting for their batch when SIGTERM arrives.
    ServerProcess& server = NewServer(NoRateLimit({{"ROOMS_STORAGE_FLUSH_INTERVAL_MS", "2000"}}));
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
