// Identity and sessions (issue 12, items 9-11): look-alike nicknames are refused at registration, a revoked or
// expired session's room sockets are closed with 4001, and a refresh token the client spends twice in a row keeps
// its session.

#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

/// Reads until the connection ends; the last frame (with the server's close code and reason, if it sent one).
WsClient::Frame ReadToClose(WsClient& ws, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {};
        auto f = ws.Read(left);
        if (!f.ok) return f;
    }
}

std::string LoginBody(const HttpResponse& res, const std::string& key) { return Str(res.Json(), key); }

/// Runs against any server, the cluster through nginx too (where the logout and the socket may be on different
/// gateways).
class SessionTest : public SharedServerTest<SessionTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit(); }
};

TEST_F(SessionTest, LookAlikeNicknamesAreRefusedWithTheReason) {
    Api api(port());
    const std::string base = Unique("Alice");
    const auto first = api.Register(base, "password-1");
    ASSERT_EQ(first.status, 200) << first.Describe();

    std::string lower = base;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    struct Case {
        std::string nickname;
        int status;
        std::string why;
    };
    const Case cases[] = {
        {lower, 409, "looks like the nickname of an existing user"},
        {"\xD0\x90" + base.substr(1), 409, "looks like"},      // Cyrillic A
        {"\xEF\xBC\xA1" + base.substr(1), 409, "looks like"},  // fullwidth A
        {base + "\xE2\x80\x8B", 400, "invisible, control or bidirectional characters (U+200B)"},
        {"\xE2\x80\xAE" + base, 400, "(U+202E)"},
        {" " + base, 400, "must not start or end with a space"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.nickname);
        const auto res = api.Register(c.nickname, "password-1");
        EXPECT_EQ(res.status, c.status) << res.Describe();
        EXPECT_NE(Str(res.Json(), "message").find(c.why), std::string::npos) << res.Describe();
    }
    // An operator's expectation: the nickname logs in whatever its case.
    const auto login = api.Login(lower, "password-1");
    ASSERT_EQ(login.status, 200) << login.Describe();
    EXPECT_EQ(LoginBody(login, "nickname"), base);
}

TEST_F(SessionTest, NfdNicknameIsStoredAsNfc) {
    Api api(port());
    const std::string tail = Unique("x");
    const auto res = api.Register("Zoe\xCC\x88" + tail, "password-1");
    ASSERT_EQ(res.status, 200) << res.Describe();
    EXPECT_EQ(Str(res.Json(), "nickname"), "Zo\xC3\xAB" + tail);
    EXPECT_EQ(api.Register("Zo\xC3\xAB" + tail, "password-1").status, 409);
}

TEST_F(SessionTest, LogoutClosesTheSessionsRoomSockets) {
    Api api(port());
    User alice = api.NewUser("logout");
    const std::string room = api.NewRoom(alice);
    // A second login of the same user: another session, which must survive.
    const auto phone_login = api.Login(alice.nickname, alice.password);
    ASSERT_EQ(phone_login.status, 200) << phone_login.Describe();
    User phone = alice;
    phone.access_token = LoginBody(phone_login, "access_token");
    phone.refresh_token = LoginBody(phone_login, "refresh_token");

    Member laptop_socket = Join(port(), room, alice);
    Member phone_socket = Join(port(), room, phone);
    ASSERT_TRUE(laptop_socket.ws && phone_socket.ws);

    const auto out = api.Logout(alice.refresh_token);
    ASSERT_EQ(out.status, 200) << out.Describe();
    const auto end = ReadToClose(*laptop_socket.ws, 5s);
    EXPECT_EQ(end.close_code, 4001) << end.Describe();
    EXPECT_EQ(end.close_reason, "session revoked") << end.Describe();

    // The revoked session's access token opens nothing any more; the other session chats on. (In the cluster the
    // revocation reaches the other gateway through Redis a moment after this socket's: bounded retries.)
    int handshake = 0, list = 0;
    for (int i = 0; i < 50 && (handshake != 401 || list != 401); ++i) {
        if (i > 0) std::this_thread::sleep_for(100ms);
        handshake = ConnectRoom(port(), room, alice.access_token)->handshake_status();
        list = api.ListRooms(alice.access_token).status;
    }
    EXPECT_EQ(handshake, 401);
    EXPECT_EQ(list, 401);
    EXPECT_TRUE(SendAndAwaitEcho(*phone_socket.ws, phone, "still here"));
    EXPECT_EQ(api.ListRooms(phone.access_token).status, 200);
}

TEST_F(SessionTest, RefreshTokenSpentTwiceInARowKeepsTheSession) {
    // What the seed's web UI does after every access-token expiry.
    Api api(port());
    User alice = api.NewUser("twice");
    const std::string room = api.NewRoom(alice);
    const auto first = api.Refresh(alice.refresh_token);
    const auto second = api.Refresh(alice.refresh_token);
    ASSERT_EQ(first.status, 200) << first.Describe();
    ASSERT_EQ(second.status, 200) << "within the reuse grace: " << second.Describe();
    EXPECT_EQ(LoginBody(second, "user_id"), alice.user_id);

    // Whichever answer the client kept, its session is alive: sockets open and chat, refresh goes on.
    User kept = alice;
    kept.access_token = LoginBody(second, "access_token");
    Member m = Join(port(), room, kept);
    ASSERT_TRUE(m.ws);
    EXPECT_TRUE(SendAndAwaitEcho(*m.ws, kept, "not logged out"));
    EXPECT_EQ(api.Refresh(LoginBody(first, "refresh_token")).status, 200);
    EXPECT_EQ(api.Refresh(LoginBody(second, "refresh_token")).status, 200);
    EXPECT_TRUE(SendAndAwaitEcho(*m.ws, kept, "still not logged out"));
}

/// A server of its own: a 10 s access token (the shortest auth.access_token_ttl_s allows) and a 1 s reuse grace.
class SessionExpiryTest : public SharedServerTest<SessionExpiryTest> {
  public:
    static std::map<std::string, std::string> Env() {
        return NoRateLimit({{"ROOMS_AUTH_ACCESS_TOKEN_TTL_S", "10"}, {"ROOMS_AUTH_REFRESH_REUSE_GRACE_S", "1"}});
    }
};

TEST_F(SessionExpiryTest, TokenExpiryClosesTheSocket) {
    Api api(port());
    User alice = api.NewUser("expiry");
    const std::string room = api.NewRoom(alice);
    const auto opened = std::chrono::steady_clock::now();
    Member m = Join(port(), room, alice);
    ASSERT_TRUE(m.ws);
    EXPECT_TRUE(SendAndAwaitEcho(*m.ws, alice, "before expiry"));

    const auto end = ReadToClose(*m.ws, 20s);
    EXPECT_EQ(end.close_code, 4001) << end.Describe();
    EXPECT_EQ(end.close_reason, "token expired") << end.Describe();
    EXPECT_LE(std::chrono::steady_clock::now() - opened, 15s) << "closed at the token's expiry, not later";

    // What a client does on 4001: refresh, reconnect.
    const auto renewed = api.Refresh(alice.refresh_token);
    ASSERT_EQ(renewed.status, 200) << renewed.Describe();
    alice.access_token = LoginBody(renewed, "access_token");
    Member back = Join(port(), room, alice);
    ASSERT_TRUE(back.ws);
    EXPECT_TRUE(SendAndAwaitEcho(*back.ws, alice, "after refresh"));
}

TEST_F(SessionExpiryTest, ReuseAfterTheGraceRevokesTheSessionAndClosesItsSockets) {
    Api api(port());
    User alice = api.NewUser("reuse");
    const std::string room = api.NewRoom(alice);
    const auto rotated = api.Refresh(alice.refresh_token);
    ASSERT_EQ(rotated.status, 200) << rotated.Describe();
    alice.access_token = LoginBody(rotated, "access_token");
    Member m = Join(port(), room, alice);
    ASSERT_TRUE(m.ws);

    std::this_thread::sleep_for(1500ms);  // past the 1 s grace
    const auto replay = api.Refresh(alice.refresh_token);
    EXPECT_EQ(replay.status, 401) << replay.Describe();
    const auto end = ReadToClose(*m.ws, 5s);
    EXPECT_EQ(end.close_code, 4001) << end.Describe();
    EXPECT_EQ(end.close_reason, "session revoked") << end.Describe();
    EXPECT_EQ(api.Refresh(LoginBody(rotated, "refresh_token")).status, 401) << "the whole session is revoked";
}

}  // namespace
}  // namespace rooms_e2e
