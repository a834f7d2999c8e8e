// WebSocket behaviour that needs non-default settings: pings (ping interval 1 s), history size, the
// bounded send queue that drops a slow client, and the per-user and per-IP limits.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

auto From(const User& u, const std::string& type, const std::string& content = "") {
    return [&u, type, content](const json::object& o) {
        return Str(o, "user_id") == u.user_id && Str(o, "type") == type &&
               (content.empty() || Str(o, "content") == content);
    };
}

// ------------------------------------------------------------------------------------------------ pings

class PingTest : public SharedServerTest<PingTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit({{"ROOMS_CHAT_PING_INTERVAL_S", "1"}}); }
};

TEST_F(PingTest, ServerPingsIdleConnectionsAndKeepsThoseThatAnswer) {
    Api api(port());
    User a = api.NewUser("ping");
    const std::string room = api.NewRoom(a);
    Member m = Join(port(), room, a);
    ASSERT_TRUE(m.ws);
    EXPECT_TRUE(m.ws->WaitForPing(5s)) << "no ping within 5 s with a ping interval of 1 s";
    // Reading (and so answering pings) for 3.5 s, more than twice the interval: still connected.
    auto f = m.ws->Read(3500ms);
    EXPECT_TRUE(f.timed_out) << "expected silence, got: " << f.Describe();
    EXPECT_GE(m.ws->pings(), 2);
    EXPECT_TRUE(SendAndAwaitEcho(*m.ws, a, "still here")) << "a client that answers pings must not be dropped";
}

TEST_F(PingTest, ClientThatDoesNotAnswerPingsIsDropped) {
    Api api(port());
    User o = api.NewUser("watch"), u = api.NewUser("mute");
    const std::string room = api.NewRoom(o);
    Member mo = Join(port(), room, o);
    ASSERT_TRUE(mo.ws);
    Member mu = Join(port(), room, u);  // from now on u never reads, so it never answers a ping
    ASSERT_TRUE(mu.ws);
    ASSERT_TRUE(ReadUntil(*mo.ws, From(u, "join")));
    const auto start = Clock::now();
    auto leave = ReadUntil(*mo.ws, From(u, "leave"), 10s);
    EXPECT_TRUE(leave) << "a connection that does not answer pings is never dropped";
    if (leave) {
        auto s = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        EXPECT_GE(s, 900) << "dropped too early (" << s << " ms)";
    }
}

// ------------------------------------------------------------------------------------------------ history size

class HistorySizeTest : public SharedServerTest<HistorySizeTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit({{"ROOMS_CHAT_HISTORY_SIZE", "5"}}); }
};

TEST_F(HistorySizeTest, HistoryFrameHoldsAtMostHistorySizeMessages) {
    Api api(port());
    User a = api.NewUser("hs"), b = api.NewUser("hs");
    const std::string room = api.NewRoom(a);
    Member ma = Join(port(), room, a);
    ASSERT_TRUE(ma.ws);
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(SendAndAwaitEcho(*ma.ws, a, "m" + std::to_string(i)));
    Member mb = Join(port(), room, b);
    ASSERT_TRUE(mb.ws);
    std::vector<std::string> contents;
    for (const auto& m : mb.history) contents.push_back(Str(m, "content"));
    EXPECT_EQ(contents, (std::vector<std::string>{"m10", "m9", "m8", "m7", "m6"})) << Serialize(mb.history);
    // The REST scroll-back is not limited by history_size.
    auto res = api.Messages(a.access_token, room, "limit=100");
    ASSERT_EQ(res.status, 200) << res.Describe();
    EXPECT_GE(res.Json().as_array().size(), 11u) << res.Describe();
}

// ------------------------------------------------------------------------------------------------ slow client

class SlowClientTest : public SharedServerTest<SlowClientTest> {
  public:
    static std::map<std::string, std::string> Env() {
        return NoRateLimit({{"ROOMS_CHAT_SEND_QUEUE_MESSAGES", "16"},
                            {"ROOMS_CHAT_MAX_MESSAGE_BYTES", "65536"},
                            {"ROOMS_CHAT_MAX_FRAME_BYTES", "131072"}});
    }
};

TEST_F(SlowClientTest, SlowClientIsDroppedWithoutSlowingTheOthers) {
    constexpr int kMessages = 200;
    constexpr std::size_t kSize = 64000;  // 200 x 64 KB (the largest message): more than the socket buffers hide
    Api api(port());
    User fast = api.NewUser("fast"), reader = api.NewUser("reader"), slow = api.NewUser("slow");
    const std::string room = api.NewRoom(fast);

    // The slow client: a tiny receive buffer, and it stops reading after its own join notice.
    WsClient::Options o;
    o.target = "/chat/rooms/" + room;
    o.authorization = slow.Bearer();
    o.receive_buffer_bytes = 4096;
    WsClient slow_ws(port(), o);
    ASSERT_TRUE(slow_ws.connected()) << slow_ws.error();
    ASSERT_TRUE(slow_ws.Read(5s).ok);  // history
    ASSERT_TRUE(ReadUntil(slow_ws, From(slow, "join")));

    Member mr = Join(port(), room, reader);
    ASSERT_TRUE(mr.ws);
    Member mf = Join(port(), room, fast);
    ASSERT_TRUE(mf.ws);

    std::atomic<int> reader_count{0};
    std::string reader_error;
    std::thread reader_thread([&] {
        const auto deadline = Clock::now() + 60s;
        while (reader_count < kMessages) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                reader_error = "timed out";
                return;
            }
            auto f = mr.ws->Read(left);
            if (!f.ok) {
                reader_error = f.Describe();
                return;
            }
            auto v = ParseJson(f.text);
            if (!v || Str(*v, "type") != "message") continue;
            const std::string expect = "bulk-" + std::to_string(reader_count.load()) + "-";
            if (Str(*v, "content").rfind(expect, 0) != 0) {
                reader_error = "out of order: expected " + expect + ", got " + Str(*v, "content").substr(0, 20);
                return;
            }
            ++reader_count;
        }
    });

    // The fast client sends in lock step: each message, then its echo.
    const auto start = Clock::now();
    std::vector<json::object> fast_seen;
    int echoed = 0;
    for (int i = 0; i < kMessages; ++i) {
        std::string content = "bulk-" + std::to_string(i) + "-";
        content.resize(kSize, 'q');
        if (!mf.ws->Send(content)) {
            ADD_FAILURE() << "send " << i << ": " << mf.ws->error();
            break;
        }
        if (!ReadUntil(*mf.ws, From(fast, "message", content), 10s, 1000, &fast_seen)) {
            ADD_FAILURE() << "no echo of message " << i;
            break;
        }
        ++echoed;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    reader_thread.join();
    EXPECT_EQ(echoed, kMessages);
    EXPECT_EQ(reader_error, "");
    EXPECT_EQ(reader_count.load(), kMessages) << "the fast reader must receive every message";
    EXPECT_LT(elapsed.count(), 30000) << "the slow client slowed the others down";

    // Everyone else saw the slow client leave.
    bool left = false;
    for (const auto& m : fast_seen)
        if (From(slow, "leave")(m)) left = true;
    if (!left) left = ReadUntil(*mf.ws, From(slow, "leave"), 15s).has_value();
    EXPECT_TRUE(left) << "the slow client was never disconnected";

    // The slow client finds its connection ended after some of the messages.
    int got = 0;
    WsClient::Frame last;
    for (int i = 0; i < kMessages + 100; ++i) {
        last = slow_ws.Read(5s);
        if (!last.ok) break;
        ++got;
    }
    EXPECT_FALSE(last.ok);
    EXPECT_FALSE(last.timed_out) << "the slow client is still connected after " << got << " frames";
    EXPECT_LT(got, kMessages) << "the slow client got everything: it was not dropped";
    if (last.close_code >= 0) {
        EXPECT_TRUE(last.close_code == 1008 || last.close_code == 1013) << "close code " << last.close_code;
    }

    auto clients = api.Clients(fast.access_token, room);
    EXPECT_EQ(clients.body.find(slow.nickname), std::string::npos) << clients.Describe();
}

// ------------------------------------------------------------------------------------- per-user limits

class UserLimitsTest : public SharedServerTest<UserLimitsTest> {
  public:
    static std::map<std::string, std::string> Env() {
        return {{"ROOMS_RATE_LIMIT_RPS", "0"},
                {"ROOMS_CHAT_USER_MESSAGES_PER_S", "1"},
                {"ROOMS_CHAT_USER_MESSAGES_BURST", "5"},
                {"ROOMS_CHAT_MAX_CONNECTIONS_PER_USER", "2"},
                {"ROOMS_CHAT_MAX_CONNECTIONS_PER_IP", "4"}};
    }
};

/// The close frame of a connection the server refuses after the upgrade (or a failure).
WsClient::Frame Refusal(WsClient& ws) {
    for (int i = 0; i < 100; ++i) {
        auto f = ws.Read(5s);
        if (!f.ok) return f;
    }
    return {};
}

TEST_F(UserLimitsTest, MessagesOverTheUsersRateGetAnErrorFrameAndAreNotSent) {
    Api api(port());
    User a = api.NewUser("rate"), b = api.NewUser("rate");
    const std::string room = api.NewRoom(a);
    Member ma = Join(port(), room, a), mb = Join(port(), room, b);
    ASSERT_TRUE(ma.ws && mb.ws);
    constexpr int kSent = 12;  // a burst of 5 is let through at once, then about 1 a second
    for (int i = 0; i < kSent; ++i) ASSERT_TRUE(ma.ws->Send("flood " + std::to_string(i)));
    int echoed = 0, refused = 0;
    ReadUntil(
        *ma.ws,
        [&](const json::object& o) {
            if (Str(o, "type") == "message" && Str(o, "user_id") == a.user_id) ++echoed;
            if (Str(o, "type") == "error") {
                EXPECT_EQ(Str(o, "message"), "message not sent: too many messages, slow down");
                ++refused;
            }
            return echoed + refused == kSent;
        },
        5s);
    EXPECT_EQ(echoed + refused, kSent) << "every message is either sent or refused with a reason";
    EXPECT_GE(echoed, 5) << "the burst";
    EXPECT_GE(refused, 1);
    // b receives exactly the messages a's echoes said were sent, in order.
    int got = 0;
    ReadUntil(
        *mb.ws,
        [&](const json::object& o) {
            if (Str(o, "type") == "message" && Str(o, "user_id") == a.user_id) ++got;
            return got == echoed;
        },
        5s);
    EXPECT_EQ(got, echoed);
    // The bucket refills: after a pause the user can talk again.
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(SendAndAwaitEcho(*ma.ws, a, "after a pause"));
}

TEST_F(UserLimitsTest, ConnectionsOverTheUserCapAreClosedWithAReason) {
    Api api(port());
    User a = api.NewUser("cap");
    const std::string room = api.NewRoom(a);
    Member first = Join(port(), room, a), second = Join(port(), room, a);
    ASSERT_TRUE(first.ws && second.ws);
    auto third = ConnectRoom(port(), room, a.access_token);
    ASSERT_TRUE(third->connected()) << "refused after the upgrade, so that a browser can read why";
    auto f = Refusal(*third);
    EXPECT_EQ(f.close_code, 1008) << f.Describe();
    EXPECT_EQ(f.close_reason, "too many connections for this user (at most 2)") << f.Describe();
    // Closing one makes room for another.
    first.ws->Close();
    std::this_thread::sleep_for(200ms);
    Member again = Join(port(), room, a);
    EXPECT_TRUE(again.ws);
}

TEST_F(UserLimitsTest, ConnectionsOverTheAddressCapAreClosedWithAReason) {
    Api api(port());
    std::vector<User> users;
    for (int i = 0; i < 5; ++i) users.push_back(api.NewUser("ip"));
    const std::string room = api.NewRoom(users[0]);
    std::vector<Member> members;
    for (int i = 0; i < 4; ++i) {
        members.push_back(Join(port(), room, users[static_cast<std::size_t>(i)]));
        ASSERT_TRUE(members.back().ws) << i;
    }
    auto fifth = ConnectRoom(port(), room, users[4].access_token);
    ASSERT_TRUE(fifth->connected());
    auto f = Refusal(*fifth);
    EXPECT_EQ(f.close_code, 1008) << f.Describe();
    EXPECT_EQ(f.close_reason, "too many connections from this address (at most 4)") << f.Describe();
}

}  // namespace
}  // namespace rooms_e2e
