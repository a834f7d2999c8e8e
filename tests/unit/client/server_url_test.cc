#include "client/server_url.h"

#include <gtest/gtest.h>

namespace rooms::client {
namespace {

TEST(ServerUrlTest, HttpWithPortAndPrefix) {
    std::string error;
    auto url = ParseServerUrl("http://127.0.0.1:8080/api/", error);
    ASSERT_TRUE(url) << error;
    EXPECT_FALSE(url->tls);
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, "8080");
    EXPECT_EQ(url->path_prefix, "/api");
    EXPECT_EQ(url->Canonical(), "http://127.0.0.1:8080/api");
    EXPECT_EQ(url->HostHeader(), "127.0.0.1:8080");
}

TEST(ServerUrlTest, DefaultPortsAreFilledInAndLeftOutOfTheHostHeader) {
    std::string error;
    auto https = ParseServerUrl("https://chat.example.org", error);
    ASSERT_TRUE(https) << error;
    EXPECT_TRUE(https->tls);
    EXPECT_EQ(https->port, "443");
    EXPECT_EQ(https->HostHeader(), "chat.example.org");
    EXPECT_EQ(https->Canonical(), "https://chat.example.org:443");
    EXPECT_EQ(ParseServerUrl("http://localhost", error)->port, "80");
}

TEST(ServerUrlTest, Ipv6) {
    std::string error;
    auto url = ParseServerUrl("http://[::1]:9000", error);
    ASSERT_TRUE(url) << error;
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->HostHeader(), "[::1]:9000");
}

TEST(ServerUrlTest, RefusesWhatIsNoServerUrl) {
    std::string error;
    EXPECT_FALSE(ParseServerUrl("ws://x", error));
    EXPECT_FALSE(ParseServerUrl("localhost:8080", error));
    EXPECT_FALSE(ParseServerUrl("http://user:pw@x", error));
    EXPECT_FALSE(ParseServerUrl("http://x/?a=b", error));
    EXPECT_FALSE(ParseServerUrl("http://", error));
    EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace rooms::client
