// The WebSocket writer under load: several queued frames go out in one write, yet each stays one message on
// the wire; pings between them are answered in turn; a reader that stops and resumes gets every frame whole and in
// order; a close during a long queue is answered.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace rooms_e2e {
namespace {

class WebSocketWriterTest : public SharedServerTest<WebSocketWriterTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit(); }

  protected:
    Api api() const { return Api(port()); }

    /// A member that reads nothing until told: a receive buffer of 4 KiB, so the server's writes back up.
    std::unique_ptr<WsClient> Stalled(const std::string& room, const User& u) {
        WsClient::Options o;
        o.target = "/chat/rooms/" + room;
        o.authorization = u.Bearer();
        o.receive_buffer_bytes = 4096;
        auto ws = std::make_unique<WsClient>(port(), o);
        EXPECT_TRUE(ws->connected()) << ws->error();
        if (!ws->connected()) return nullptr;
        EXPECT_TRUE(ws->Read(5s).ok);  // history
        EXPECT_TRUE(ReadUntil(*ws, [&](const json::object& m) { return Str(m, "user_id") == u.user_id; }));
        return ws;
    }

    /// Sends `n` messages "<tag>-<i>-" padded to `size` bytes, each after the echo of the one before.
    void SendNumbered(Member& m, const User& u, const std::string& tag, int n, std::size_t size) {
        for (int i = 0; i < n; ++i) {
            std::string content = tag + "-" + std::to_string(i) + "-";
            content.resize(size, 'x');
            ASSERT_TRUE(SendAndAwaitEcho(*m.ws, u, content, 10s)) << "message " << i;
        }
    }
};

/// Reads until `n` messages of `tag` came, checking that they come whole and in order. Returns how many came.
int ReadNumbered(WsClient& ws, const std::string& tag, int n, std::size_t size, std::string& problem) {
    int got = 0;
    for (int frames = 0; got < n && frames < n + 1000; ++frames) {
        auto f = ws.Read(10s);
        if (!f.ok) {
            problem = "read ended after " + std::to_string(got) + ": " + f.Describe();
            return got;
        }
        auto v = ParseJson(f.text);
        if (!v || !v->is_object()) {
            problem = "a frame that is not one JSON message: " + f.text.substr(0, 80);
            return got;
        }
        if (Str(*v, "type") != "message") continue;
        const std::string content = Str(*v, "content");
        const std::string expect = tag + "-" + std::to_string(got) + "-";
        if (content.rfind(expect, 0) != 0 || content.size() != size) {
            problem = "expected " + expect + " of " + std::to_string(size) + " bytes, got " + content.substr(0, 20) +
                      " of " + std::to_string(content.size());
            return got;
        }
        ++got;
    }
    return got;
}

TEST_F(WebSocketWriterTest, PingsBetweenABurstAreAnsweredInTurnAndTheBurstArrivesInOrder) {
    User a = api().NewUser("burst"), b = api().NewUser("pinger");
    const std::string room = api().NewRoom(a);
    Member mb = Join(port(), room, b);
    ASSERT_TRUE(mb.ws);
    Member ma = Join(port(), room, a);
    ASSERT_TRUE(ma.ws);

    constexpr int kMessages = 200;
    std::vector<std::string> pings;
    for (int i = 0; i < kMessages; ++i) {
        std::string content = "burst-" + std::to_string(i) + "-";
        content.resize(64, 'x');
        ASSERT_TRUE(ma.ws->Send(content)) << ma.ws->error();
        if (i % 20 == 0) {
            pings.push_back("p" + std::to_string(i));
            ASSERT_TRUE(mb.ws->Ping(pings.back())) << mb.ws->error();
        }
    }
    std::string problem;
    EXPECT_EQ(ReadNumbered(*mb.ws, "burst", kMessages, 64, problem), kMessages) << problem;
    // The pongs are seen by reads; the last may trail the last message.
    for (int i = 0; i < 20 && mb.ws->pong_payloads().size() < pings.size(); ++i) (void)mb.ws->Read(100ms);
    EXPECT_EQ(mb.ws->pong_payloads(), pings) << "every ping answered once, in order, with its payload";
}

TEST_F(WebSocketWriterTest, AReaderThatStallsAndResumesGetsEveryFrameWholeAndInOrder) {
    User a = api().NewUser("writer"), b = api().NewUser("stalled");
    const std::string room = api().NewRoom(a);
    auto stalled = Stalled(room, b);
    ASSERT_TRUE(stalled);
    Member ma = Join(port(), room, a);
    ASSERT_TRUE(ma.ws);

    // 300 × 2,000 bytes: far more than the socket buffers hold, so the server's writes end part way through a batch
    // and resume; fewer than the send queue holds, so nobody is dropped.
    constexpr int kMessages = 300;
    constexpr std::size_t kSize = 2000;
    SendNumbered(ma, a, "stall", kMessages, kSize);
    std::string problem;
    EXPECT_EQ(ReadNumbered(*stalled, "stall", kMessages, kSize, problem), kMessages) << problem;
}

TEST_F(WebSocketWriterTest, ACloseDuringALongQueueIsAnswered) {
    User a = api().NewUser("filler"), b = api().NewUser("closer");
    const std::string room = api().NewRoom(a);
    auto stalled = Stalled(room, b);
    ASSERT_TRUE(stalled);
    Member ma = Join(port(), room, a);
    ASSERT_TRUE(ma.ws);
    SendNumbered(ma, a, "queued", 300, 2000);

    // The client closes while the server still has much to send it: the server's close answer comes after whole
    // frames (the client's reader would fail on a torn one), with the client's code.
    stalled->Close(websocket::close_code::normal, 10s);
    EXPECT_EQ(stalled->server_close_code(), 1000);

    EXPECT_TRUE(ReadUntil(
        *ma.ws, [&](const json::object& m) { return Str(m, "user_id") == b.user_id && Str(m, "type") == "leave"; },
        10s))
        << "the closer left the room";
    EXPECT_TRUE(SendAndAwaitEcho(*ma.ws, a, "still here")) << "the room goes on";
}

}  // namespace
}  // namespace rooms_e2e
