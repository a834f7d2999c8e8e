#include "http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "http/api_handlers.h"

namespace rooms {
namespace {

using V = http::verb;

std::string Pattern(const Route& r) {
    std::string out;
    for (const auto& s : r.segments) out += "/" + s;
    return out.empty() ? "/" : out;
}

constexpr RouteFlags kOpen{.rate_limited = true};
constexpr RouteFlags kAuthed{.rate_limited = true, .auth = true};
constexpr RouteFlags kRoom{.rate_limited = true, .auth = true, .room = true};
constexpr RouteFlags kRoomSocket{.rate_limited = true, .auth = true, .room = true, .websocket = true};

/// The routes of the real API (http/api_handlers.cc), with empty handlers.
class RouterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        router_.Add(V::post, "/user/register", kOpen, {});
        router_.Add(V::post, "/user/login", kOpen, {});
        router_.Add(V::post, "/user/refresh", kOpen, {});
        router_.Add(V::post, "/user/logout", kOpen, {});
        router_.Add(V::post, "/chat/rooms", kAuthed, {});
        router_.Add(V::get, "/chat/rooms", kAuthed, {});
        router_.Add(V::get, "/chat/rooms/{id}", kRoomSocket, {});
        router_.Add(V::get, "/chat/rooms/{id}/clients", kRoom, {});
        router_.Add(V::get, "/chat/rooms/{id}/messages", kRoom, {});
        router_.Add(V::get, "/healthz", {}, {});
        router_.Add(V::get, "/readyz", {}, {});
    }

    void ExpectRoute(V method, std::string_view path, std::string_view pattern,
                     const std::vector<std::string>& params = {}) {
        SCOPED_TRACE(std::string(http::to_string(method)) + " " + std::string(path));
        const auto m = router_.Find(method, path);
        ASSERT_NE(m.route, nullptr);
        EXPECT_EQ(Pattern(*m.route), pattern);
        EXPECT_EQ(m.params, params);
        EXPECT_TRUE(m.path_known);
    }

    void ExpectUnknown(V method, std::string_view path) {
        SCOPED_TRACE(std::string(http::to_string(method)) + " " + std::string(path));
        const auto m = router_.Find(method, path);
        EXPECT_EQ(m.route, nullptr);
        EXPECT_FALSE(m.path_known);
        EXPECT_TRUE(m.allow.empty()) << m.allow;
    }

    Router router_;
};

TEST_F(RouterTest, MatchesBarePaths) {
    ExpectRoute(V::post, "/user/register", "/user/register");
    ExpectRoute(V::post, "/user/login", "/user/login");
    ExpectRoute(V::post, "/user/refresh", "/user/refresh");
    ExpectRoute(V::post, "/user/logout", "/user/logout");
    ExpectRoute(V::get, "/healthz", "/healthz");
    ExpectRoute(V::get, "/readyz", "/readyz");
}

TEST_F(RouterTest, MatchesApiPrefixedPaths) {
    ExpectRoute(V::post, "/api/user/login", "/user/login");
    ExpectRoute(V::get, "/api/chat/rooms", "/chat/rooms");
    ExpectRoute(V::get, "/api/chat/rooms/12/messages", "/chat/rooms/{id}/messages", {"12"});
    ExpectRoute(V::get, "/api/healthz", "/healthz");
}

TEST_F(RouterTest, ExtractsPathParameters) {
    ExpectRoute(V::get, "/chat/rooms/42", "/chat/rooms/{id}", {"42"});
    ExpectRoute(V::get, "/chat/rooms/42/clients", "/chat/rooms/{id}/clients", {"42"});
    ExpectRoute(V::get, "/chat/rooms/abc/messages", "/chat/rooms/{id}/messages", {"abc"});  // the handler validates
    const auto m = router_.Find(V::get, "/chat/rooms/7");
    ASSERT_NE(m.route, nullptr);
    EXPECT_TRUE(m.route->flags.websocket);
    EXPECT_TRUE(m.route->flags.auth);
    EXPECT_FALSE(router_.Find(V::post, "/user/login").route->flags.auth);
}

TEST_F(RouterTest, IgnoresTrailingSlashes) {
    ExpectRoute(V::post, "/user/login/", "/user/login");
    ExpectRoute(V::get, "/chat/rooms/", "/chat/rooms");
    ExpectRoute(V::get, "/api/chat/rooms/", "/chat/rooms");
    ExpectRoute(V::get, "/chat/rooms/5/clients/", "/chat/rooms/{id}/clients", {"5"});
    ExpectRoute(V::get, "/healthz//", "/healthz");
}

TEST_F(RouterTest, MethodDispatchOnOnePath) {
    ExpectRoute(V::post, "/chat/rooms", "/chat/rooms");
    const auto post = router_.Find(V::post, "/chat/rooms");
    const auto get = router_.Find(V::get, "/chat/rooms");
    ASSERT_NE(post.route, nullptr);
    ASSERT_NE(get.route, nullptr);
    EXPECT_NE(post.route, get.route);
    EXPECT_EQ(post.route->method, V::post);
    EXPECT_EQ(get.route->method, V::get);
    // HEAD is served by the GET route.
    const auto head = router_.Find(V::head, "/healthz");
    ASSERT_NE(head.route, nullptr);
    EXPECT_EQ(head.route->method, V::get);
}

TEST_F(RouterTest, WrongMethodIsDetectedWithAllow) {
    auto m = router_.Find(V::get, "/user/login");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.path_known);
    EXPECT_EQ(m.allow, "POST");

    m = router_.Find(V::delete_, "/api/chat/rooms/");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.path_known);
    EXPECT_NE(m.allow.find("GET"), std::string::npos) << m.allow;
    EXPECT_NE(m.allow.find("POST"), std::string::npos) << m.allow;

    m = router_.Find(V::post, "/chat/rooms/3/clients");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_TRUE(m.path_known);
    EXPECT_EQ(m.allow, "GET");

    // A matched request reports its path's methods too.
    m = router_.Find(V::get, "/chat/rooms");
    EXPECT_NE(m.route, nullptr);
    EXPECT_NE(m.allow.find("POST"), std::string::npos);
}

TEST_F(RouterTest, UnknownPaths) {
    ExpectUnknown(V::get, "/");
    ExpectUnknown(V::get, "/api");
    ExpectUnknown(V::get, "/api/");
    ExpectUnknown(V::get, "/nope");
    ExpectUnknown(V::post, "/user");
    ExpectUnknown(V::post, "/user/login/extra");
    ExpectUnknown(V::get, "/chat/rooms/1/unknown");
    ExpectUnknown(V::get, "/chat/rooms/1/clients/2");
    ExpectUnknown(V::post, "/User/Login");          // paths are case-sensitive
    ExpectUnknown(V::post, "/apix/user/login");     // only the exact /api prefix is stripped
    ExpectUnknown(V::post, "/api/api/user/login");  // stripped once
    ExpectUnknown(V::get, "/index.html");
}

TEST(RouterStaticTest, Normalize) {
    EXPECT_EQ(Router::Normalize("/api"), "/");
    EXPECT_EQ(Router::Normalize("/api/"), "/");
    EXPECT_EQ(Router::Normalize("/api/user/login"), "/user/login");
    EXPECT_EQ(Router::Normalize("/user/login"), "/user/login");
    EXPECT_EQ(Router::Normalize("/user/login/"), "/user/login");
    EXPECT_EQ(Router::Normalize("/user/login///"), "/user/login");
    EXPECT_EQ(Router::Normalize("/"), "/");
    EXPECT_EQ(Router::Normalize("/apix"), "/apix");
}

TEST_F(RouterTest, IsApiPath) {
    EXPECT_TRUE(router_.IsApiPath("/api"));
    EXPECT_TRUE(router_.IsApiPath("/api/"));
    EXPECT_TRUE(router_.IsApiPath("/api/anything/at/all"));
    EXPECT_TRUE(router_.IsApiPath("/user/login"));
    EXPECT_TRUE(router_.IsApiPath("/user/unknown"));  // an API 404, not a web UI file
    EXPECT_TRUE(router_.IsApiPath("/chat/rooms/1"));
    EXPECT_TRUE(router_.IsApiPath("/healthz"));
    EXPECT_FALSE(router_.IsApiPath("/"));
    EXPECT_FALSE(router_.IsApiPath(""));
    EXPECT_FALSE(router_.IsApiPath("/index.html"));
    EXPECT_FALSE(router_.IsApiPath("/assets/app.js"));
    EXPECT_FALSE(router_.IsApiPath("/apix"));
    EXPECT_FALSE(router_.IsApiPath("/login"));
}

// /readyz: a failing required check is 503; a failing optional one (Redis for a gateway) is 200 "degraded".

}  // namespace
}  // namespace rooms
