#include "http/request_policy.h"

#include <gtest/gtest.h>

namespace rooms {
namespace {

Request Handshake(std::string_view host, std::string_view origin) {
    Request req{http::verb::get, "/chat/rooms/1", 11};
    req.set(http::field::host, host);
    if (!origin.empty()) req.set(http::field::origin, origin);
    return req;
}

TEST(OriginTest, WithoutAnOriginHeaderItIsNotABrowser) {
    EXPECT_TRUE(OriginAllowed(Handshake("chat.example.com", ""), {}));
    EXPECT_TRUE(OriginAllowed(Handshake("chat.example.com", ""), {"https://other.example"}));
}

TEST(OriginTest, ByDefaultOnlyTheServersOwnHost) {
    EXPECT_TRUE(OriginAllowed(Handshake("127.0.0.1:8080", "http://127.0.0.1:8080"), {}));
    EXPECT_TRUE(OriginAllowed(Handshake("Chat.Example.com", "https://chat.example.COM"), {}));
    EXPECT_FALSE(OriginAllowed(Handshake("127.0.0.1:8080", "http://127.0.0.1:5173"), {}));  // another port
    EXPECT_FALSE(OriginAllowed(Handshake("chat.example.com", "https://evil.example"), {}));
    EXPECT_FALSE(OriginAllowed(Handshake("chat.example.com", "https://chat.example.com.evil.example"), {}));
    EXPECT_FALSE(OriginAllowed(Handshake("chat.example.com", "null"), {}));  // sandboxed frames, files
    EXPECT_FALSE(OriginAllowed(Handshake("", "https://chat.example.com"), {}));
}

TEST(OriginTest, AnAllowListReplacesTheDefault) {
    const std::vector<std::string> allowed{"https://app.example.com", "localhost:5173"};
    EXPECT_TRUE(OriginAllowed(Handshake("api.example.com", "https://app.example.com"), allowed));
    EXPECT_TRUE(OriginAllowed(Handshake("api.example.com", "http://localhost:5173"), allowed));
    EXPECT_FALSE(OriginAllowed(Handshake("api.example.com", "http://app.example.com:8443"), allowed));
    EXPECT_FALSE(OriginAllowed(Handshake("api.example.com", "https://api.example.com"), allowed));
}

TEST(OriginTest, StarLetsAnyOriginIn) {
    EXPECT_TRUE(OriginAllowed(Handshake("api.example.com", "https://anywhere.example"), {"*"}));
    EXPECT_TRUE(OriginAllowed(Handshake("api.example.com", "null"), {"*"}));
}

}  // namespace
}  // namespace rooms
