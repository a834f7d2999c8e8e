#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_client.h"
#include "io_util.h"
#include "server_process.h"
#include "ws_client.h"

namespace rooms_e2e {

namespace json = boost::json;

// ---------------------------------------------------------------- small helpers

/// A name unique within this test process (and very likely across runs): prefix_<counter><random>.
std::string Unique(const std::string& prefix);

std::string ReadFile(const std::string& path);
bool IsDecimalId(const json::value& v);  // a JSON string of decimal digits
bool IsRfc3339(const json::value& v);    // a JSON string such as 2026-11-29T02:31:00.123456Z
/// Empty when `res` is an error body {"message": "<non-empty string>"}, else what is wrong.
std::string ErrorBodyProblem(const HttpResponse& res);
/// The string member `key` of an object, or "" when absent or not a string.
std::string Str(const json::value& v, const std::string& key);
std::string Serialize(const json::value& v);
std::optional<json::value> ParseJson(const std::string& text);
std::int64_t NowUnix();

/// With $ROOMS_E2E_SECRETS_FILE set, appends `secret` (a password or token the tests sent or received) to
/// that file, one per line, so that scripts/test.sh can search the servers' logs for every one afterwards.
void RecordSecret(std::string_view secret);

// ---------------------------------------------------------------- JWT forging

std::string Base64UrlEncode(std::string_view data);
bool Base64UrlDecode(std::string_view in, std::string& out);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha512(std::string_view key, std::string_view data);
/// header.payload.signature with the given header and claims, signed with HS256/HS512 (alg "none": no
/// signature). The header's alg is whatever `header` says; `sign_alg` chooses the MAC actually used.
std::string MakeJwt(const json::object& header, const json::object& claims, const std::string& key,
                    const std::string& sign_alg);
/// Finds the HS256 key the server uses: reads DATA_DIR/jwt.key and tries it raw, trimmed and decoded
/// (hex, base64, base64url), returning the variant that reproduces the signature of `real_token`.
std::optional<std::string> ServerJwtKey(const std::string& data_dir, const std::string& real_token);

// ---------------------------------------------------------------- the API

struct User {
    std::string nickname;
    std::string password;
    std::string user_id;
    std::string access_token;
    std::string refresh_token;
    std::string Bearer() const { return "Bearer " + access_token; }
};

/// The REST API of one server, with paths bare (prefix "") or under "/api".
class Api {
  public:
    explicit Api(unsigned short port, const std::string& prefix = "") : http_(port), prefix_(ApiRoot(prefix)) {}

    HttpResponse Register(const std::string& nickname, const std::string& password) const;
    HttpResponse Login(const std::string& nickname, const std::string& password) const;
    HttpResponse Refresh(const std::string& refresh_token) const;
    HttpResponse Logout(const std::string& refresh_token) const;
    HttpResponse CreateRoom(const std::string& access_token, const std::string& name) const;
    HttpResponse ListRooms(const std::string& access_token) const;
    HttpResponse Clients(const std::string& access_token, const std::string& room_id) const;
    HttpResponse Messages(const std::string& access_token, const std::string& room_id,
                          const std::string& query = "") const;

    HttpResponse Get(const std::string& path, const std::string& access_token = "") const;
    HttpResponse Post(const std::string& path, const std::string& body, const std::string& access_token = "") const;

    /// Registers and logs in a fresh user (ADD_FAILURE on any problem; the tokens are empty then).
    User NewUser(const std::string& prefix = "user") const;
    /// Creates a room (ADD_FAILURE on a problem); returns its id.
    std::string NewRoom(const User& owner, const std::string& prefix = "room") const;

    const HttpClient& http() const { return http_; }
    const std::string& prefix() const { return prefix_; }

  private:
    HttpClient http_;
    std::string prefix_;
};

// ---------------------------------------------------------------- the room WebSocket

enum class TokenIn { kHeader, kQueryBearer, kQueryBare };

std::unique_ptr<WsClient> ConnectRoom(unsigned short port, const std::string& room_id, const std::string& token,
                                      TokenIn how = TokenIn::kHeader, const std::string& prefix = "");

/// Reads the next frame as a JSON value (ADD_FAILURE and nullopt when the read fails or it is not JSON).
std::optional<json::value> ReadJson(WsClient& ws, std::chrono::milliseconds timeout = 5s);

/// Reads frames until one is a JSON object for which `pred` holds; every frame read is appended to `seen`
/// when given. Gives up (nullopt) after `max_frames` frames or the timeout.
template <typename Pred>
std::optional<json::object> ReadUntil(WsClient& ws, Pred pred, std::chrono::milliseconds timeout = 5s,
                                      int max_frames = 100000, std::vector<json::object>* seen = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int i = 0; i < max_frames; ++i) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto f = ws.Read(left);
        if (!f.ok) return std::nullopt;
        auto v = ParseJson(f.text);
        if (!v || !v->is_object()) continue;
        if (seen) seen->push_back(v->as_object());
        if (pred(v->as_object())) return v->as_object();
    }
    return std::nullopt;
}

/// Empty when `m` has the shape of a room message (id, type, content, room_id, nickname, user_id,
/// time_created with the right types), else what is wrong.
std::string MessageShapeProblem(const json::value& m);

/// A member of a room: connected, history read, own join notice received.
struct Member {
    std::unique_ptr<WsClient> ws;
    json::array history;
    std::vector<json::object> before_join;  // live frames that came between the history and the join notice
    json::object join_notice;
};

/// Connects `user` to `room_id`, reads the history frame and then frames up to and including the user's own
/// "joined the room" notice. ADD_FAILUREs and returns a Member with a null ws on any problem.
Member Join(unsigned short port, const std::string& room_id, const User& user, TokenIn how = TokenIn::kHeader,
            const std::string& prefix = "");

/// Sends `content` and reads until the server echoes it back (a "message" with that content from this
/// user). Returns the echoed message or nullopt.
std::optional<json::object> SendAndAwaitEcho(WsClient& ws, const User& user, const std::string& content,
                                             std::chrono::milliseconds timeout = 5s);

// ---------------------------------------------------------------- fixtures

/// A test suite whose tests share one server, started with Derived::Env(). (Under ctest each test runs in
/// its own process, so each gets its own server; run directly, the suite shares one.) Tests must use their
/// own users and rooms.
template <typename Derived, typename Base = ::testing::Test>
class SharedServerTest : public Base {
  public:
    static void SetUpTestSuite() {
        server_ = std::make_unique<ServerProcess>(Derived::Env());
        start_error_ = server_->Start();
    }
    static void TearDownTestSuite() {
        if (server_) {
            if (server_->Alive()) {
                const auto start = Clock::now();
                const int status = server_->Stop();
                const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
                if (status != 0 || ms > 3000)
                    std::cerr << "e2e: the server exited with status " << status << " " << ms << " ms after SIGTERM\n";
            }
            if (failed_) {
                server_->Keep();
                std::cerr << "e2e: kept the server's data directory " << server_->data_dir() << "\n";
            }
        }
        server_.reset();
    }

  protected:
    void SetUp() override {
        ASSERT_TRUE(server_) << "no server";
        ASSERT_TRUE(start_error_.empty()) << start_error_;
        ASSERT_TRUE(server_->Alive()) << "the server died earlier in this suite\n" << server_->LogTail();
    }
    void TearDown() override {
        if (this->HasFailure()) {
            failed_ = true;
            std::cerr << server_->LogTail(40);
        }
    }
    static ServerProcess& server() { return *server_; }
    static unsigned short port() { return server_->port(); }

    static inline std::unique_ptr<ServerProcess> server_;
    static inline std::string start_error_;
    static inline bool failed_ = false;
};

/// The access-token lifetime the server under test gives, in seconds: 900 (the default) for the servers the
/// tests start, $ROOMS_E2E_ACCESS_TOKEN_TTL_S for an external one.
std::int64_t ExpectedAccessTokenTtl();

/// How long to wait after a refresh before the spent token counts as replayed: past auth.refresh_reuse_grace_s,
/// which is 1 s on the servers the tests start (NoRateLimit) and the default 5 s on an external one.
std::chrono::milliseconds PastTheReuseGrace();

/// Environment of a server with the rate limit off (tests that register many users).
inline std::map<std::string, std::string> NoRateLimit(std::map<std::string, std::string> extra = {}) {
    extra["ROOMS_RATE_LIMIT_RPS"] = "0";
    extra["ROOMS_CHAT_USER_MESSAGES_PER_S"] = "0";  // tests send hundreds of messages at once
    extra["ROOMS_CHAT_USER_ROOMS_PER_MIN"] = "0";   // and create rooms by the dozen
    extra["ROOMS_CHAT_USER_NOTICES_PER_S"] = "0";   // and join many rooms as one user (Join awaits the notice)
    extra.try_emplace("ROOMS_AUTH_REFRESH_REUSE_GRACE_S", "1");  // keeps the replay tests short (PastTheReuseGrace)
    return extra;
}

}  // namespace rooms_e2e
