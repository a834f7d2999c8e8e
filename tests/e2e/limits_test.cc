// HTTP limits: the per-IP rate limit (default settings), the body limit, the header limit and garbage input.

#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

// Default rate limit: 10 requests/s per IP, burst 20.
class RateLimitTest : public SharedServerTest<RateLimitTest> {
  public:
    static std::map<std::string, std::string> Env() { return {}; }
};

TEST_F(RateLimitTest, BurstThen429WithRetryAfterThenRecovers) {
    HttpClient http(port());
    int first_429 = -1;
    HttpResponse limited;
    for (int i = 0; i < 200 && first_429 < 0; ++i) {
        auto res = http.Get(i % 2 ? "/api/chat/rooms" : "/chat/rooms");
        ASSERT_NE(res.status, 0) << res.Describe();
        if (res.status == 429) {
            first_429 = i;
            limited = res;
        } else {
            EXPECT_EQ(res.status, 401) << "request " << i << ": " << res.Describe();
        }
    }
    ASSERT_GE(first_429, 0) << "200 quick requests were never limited";
    EXPECT_GE(first_429, 15) << "the burst of 20 should be allowed (limited after " << first_429 << ")";
    EXPECT_LE(first_429, 60) << "limited only after " << first_429 << " requests";
    EXPECT_EQ(ErrorBodyProblem(limited), "");
    ASSERT_TRUE(limited.HasHeader("retry-after")) << limited.Describe();
    const std::string ra = limited.Header("retry-after");
    int seconds = -1;
    try {
        seconds = std::stoi(ra);
    } catch (...) {
    }
    EXPECT_GE(seconds, 1) << "Retry-After: " << ra;
    EXPECT_LE(seconds, 60) << "Retry-After: " << ra;

    // After waiting as told, requests are served again.
    std::this_thread::sleep_for(std::chrono::seconds(std::clamp(seconds, 1, 5)));
    auto again = http.Get("/chat/rooms");
    EXPECT_EQ(again.status, 401) << "after Retry-After: " << again.Describe();
}

TEST_F(RateLimitTest, RegisterAndLoginAreLimitedToo) {
    HttpClient http(port());
    int status_429 = 0;
    for (int i = 0; i < 80 && status_429 == 0; ++i) {
        auto res = http.PostJson(i % 2 ? "/user/login" : "/api/user/register", "{");
        ASSERT_NE(res.status, 0) << res.Describe();
        if (res.status == 429)
            status_429 = i;
        else
            EXPECT_EQ(res.status, 400) << res.Describe();
    }
    EXPECT_GT(status_429, 0) << "80 quick malformed auth requests were never limited";
}

// Default body limit (64 KiB); no rate limit.
class BodyLimitTest : public SharedServerTest<BodyLimitTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit(); }
};

TEST_F(BodyLimitTest, BodyOverTheLimitIs413) {
    HttpClient http(port());
    const std::string big = R"({"nickname":"bodylimit","password":")" + std::string(70000, 'p') + R"("})";
    for (const std::string path : {"/user/register", "/api/user/register", "/user/login"}) {
        auto res = http.PostJson(path, big);
        EXPECT_EQ(res.status, 413) << path << ": " << res.Describe();
        if (res.status == 413) {
            EXPECT_EQ(ErrorBodyProblem(res), "");
        }
    }
    Api api(port());
    User u = api.NewUser("big");
    auto res = api.Post("/chat/rooms", R"({"name":")" + std::string(100000, 'n') + R"("})", u.access_token);
    EXPECT_EQ(res.status, 413) << "POST /chat/rooms: " << res.Describe();
    EXPECT_EQ(HttpClient(port()).Get("/healthz").status, 200);
}

TEST_F(BodyLimitTest, DeclaredLengthOverTheLimitIs413BeforeTheBody) {
    // Only the header is sent: the server must answer from Content-Length alone.
    HttpClient http(port());
    auto res = http.Raw(
        "POST /user/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n");
    EXPECT_EQ(res.status, 413) << res.Describe();
}

TEST_F(BodyLimitTest, ChunkedBodyOverTheLimitIs413) {
    HttpClient http(port());
    std::string raw =
        "POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(8192, 'a');
    for (int i = 0; i < 10; ++i) raw += "2000\r\n" + chunk + "\r\n";
    raw += "0\r\n\r\n";
    auto res = http.Raw(raw);
    EXPECT_EQ(res.status, 413) << res.Describe();
}

TEST_F(BodyLimitTest, BodyUnderTheLimitIsRead) {
    // 60 000 bytes: under the limit, so the server reads it and rejects the too-long password with 400.
    HttpClient http(port());
    const std::string body =
        R"({"nickname":")" + Unique("under") + R"(","password":")" + std::string(60000, 'p') + R"("})";
    auto res = http.PostJson("/user/register", body);
    EXPECT_EQ(res.status, 400) << res.Describe();
}

TEST_F(BodyLimitTest, HeaderOverTheLimitIsRefused) {
    HttpClient http(port());
    auto res = http.Get("/healthz", {{"X-Filler", std::string(20000, 'h')}});
    EXPECT_EQ(res.status, 431) << "a 20 KB header over the 16 KiB limit: " << res.Describe();
    EXPECT_EQ(http.Get("/healthz").status, 200) << "the server still serves";
}

TEST_F(BodyLimitTest, GarbageRequestsDoNotHurtTheServer) {
    HttpClient http(port(), std::chrono::seconds(2));  // some of these leave the server waiting for more
    for (const std::string& raw :
         {std::string("GARBAGE\r\n\r\n"), std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
          std::string("POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
          std::string("POST /user/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{")}) {
        auto res = http.Raw(raw);
        if (res.status != 0) {
            EXPECT_GE(res.status, 400) << res.Describe();
            EXPECT_LT(res.status, 500) << res.Describe();
        }
    }
    EXPECT_EQ(http.Get("/healthz").status, 200);
}

}  // namespace
}  // namespace rooms_e2e
