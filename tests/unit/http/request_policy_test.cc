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

Request ProxiedHandshake(std::string_view host, std::string_view origin, std::string_view forwarded_host = "") {
    Request req = Handshake(host, origin);
    req.set("X-Real-IP", "203.0.113.7");
    req.set("X-Forwarded-For", "203.0.113.7");
    if (!forwarded_host.empty()) req.set("X-Forwarded-Host", forwarded_host);
    return req;
}

TEST(OriginTest, BehindTheSeedsNginxTheHostHasNoPort) {
    // The seed's nginx sends `Host $host`: the browser's Origin keeps the port nginx listens on.
    EXPECT_TRUE(OriginAllowed(ProxiedHandshake("localhost", "http://localhost:8443"), {}, true));
    EXPECT_TRUE(OriginAllowed(ProxiedHandshake("chat.example.com", "https://Chat.Example.com:8443"), {}, true));
    EXPECT_TRUE(OriginAllowed(ProxiedHandshake("[::1]", "http://[::1]:3000"), {}, true));
    // Only the port is let go, and only for a trusted proxy.
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("localhost", "http://localhost:8443"), {}, false));
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("localhost", "http://evil.example:8443"), {}, true));
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("localhost", "http://localhost.evil.example:8443"), {}, true));
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("chat.example.com", "https://evil.example"), {}, true));
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("[::1]", "http://[::2]:3000"), {}, true));
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("localhost", "null"), {}, true));
    // A forwarded Host with a port is compared whole.
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("localhost:8080", "http://localhost:8443"), {}, true));
}

TEST(OriginTest, BehindATrustedProxyXForwardedHostIsTheHost) {
    EXPECT_TRUE(OriginAllowed(ProxiedHandshake("gateways", "https://chat.example.com:8443", "chat.example.com:8443"),
                              {}, true));
    EXPECT_TRUE(
        OriginAllowed(ProxiedHandshake("gateways", "https://chat.example.com:8443", "chat.example.com"), {}, true));
    EXPECT_TRUE(OriginAllowed(ProxiedHandshake("gateways", "https://chat.example.com", "chat.example.com, inner.proxy"),
                              {}, true));
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("gateways", "https://gateways", "chat.example.com"), {}, true))
        << "the forwarded host replaces the Host, it does not add to it";
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("gateways", "https://evil.example", "chat.example.com"), {}, true));
    // From an untrusted peer X-Forwarded-Host is anyone's to write: ignored.
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("api.example.com", "https://evil.example", "evil.example"), {}, false));
    // An explicit allow-list is what it says, proxy or not.
    EXPECT_FALSE(OriginAllowed(ProxiedHandshake("localhost", "http://localhost:8443"), {"https://app.example"}, true));
}

IpNetworks Networks(std::string_view list) { return IpNetworks::ParseOrThrow(list); }

TEST(ClientIpTest, TrustedProxiesByAddressOrBlock) {
    Request req{http::verb::get, "/", 11};
    req.set("X-Forwarded-For", "198.51.100.4, 10.1.2.3");
    EXPECT_EQ(ClientIp(req, "10.0.0.9", Networks("10.0.0.0/8")), "198.51.100.4") << "both proxies lie in 10/8";
    EXPECT_EQ(ClientIp(req, "10.0.0.9", Networks("10.0.0.9")), "10.1.2.3") << "only the peer is trusted";
    EXPECT_EQ(ClientIp(req, "192.0.2.1", Networks("10.0.0.0/8")), "192.0.2.1") << "an untrusted peer";
    EXPECT_EQ(ClientIp(req, "::ffff:10.0.0.9", Networks("10.0.0.0/8")), "198.51.100.4");
    Request v6{http::verb::get, "/", 11};
    v6.set("X-Real-IP", "2001:db8::5");
    EXPECT_EQ(ClientIp(v6, "::1", Networks("::1/128")), "2001:db8::5");
    EXPECT_EQ(ClientIp(v6, "::1", Networks("")), "::1");
}

Request WithHeaders(std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                    unsigned version = 11) {
    Request req{http::verb::post, "/user/login", version};
    for (const auto& [k, v] : headers) req.insert(k, v);
    return req;
}

TEST(HeadProblemTest, Http11NeedsExactlyOneHost) {
    EXPECT_FALSE(HeadProblem(WithHeaders({{"Host", "a"}})));
    EXPECT_TRUE(HeadProblem(WithHeaders({})));
    EXPECT_TRUE(HeadProblem(WithHeaders({{"Host", "a"}, {"Host", "b"}})));
    EXPECT_FALSE(HeadProblem(WithHeaders({}, 10))) << "HTTP/1.0 had no Host";
}

TEST(HeadProblemTest, OnlyASingleChunkedTransferCoding) {
    EXPECT_FALSE(HeadProblem(WithHeaders({{"Host", "a"}, {"Transfer-Encoding", "chunked"}})));
    EXPECT_FALSE(HeadProblem(WithHeaders({{"Host", "a"}, {"Transfer-Encoding", " Chunked "}})));
    EXPECT_FALSE(HeadProblem(WithHeaders({{"Host", "a"}, {"Content-Length", "5"}})));
    for (const auto& te :
         {"xchunked", "chunked, identity", "identity", "gzip, chunked", "chunked, chunked", "", "chunked;q=1", ","}) {
        EXPECT_TRUE(HeadProblem(WithHeaders({{"Host", "a"}, {"Transfer-Encoding", te}}))) << "'" << te << "'";
    }
    EXPECT_TRUE(
        HeadProblem(WithHeaders({{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})));
    EXPECT_TRUE(
        HeadProblem(WithHeaders({{"Host", "a"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}})));
    EXPECT_TRUE(HeadProblem(WithHeaders({{"Host", "a"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}})))
        << "TE with Content-Length";
    EXPECT_TRUE(HeadProblem(WithHeaders({{"Host", "a"}, {"Content-Length", "5"}, {"Transfer-Encoding", "xchunked"}})));
}

TEST(ContentTypeTest, FormTypesAreRefusedOthersAndNoneAreNot) {
    for (const auto& type : {"text/plain", "Text/Plain; charset=utf-8", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", " text/plain "})
        EXPECT_TRUE(IsFormContentType(WithHeaders({{"Content-Type", type}}))) << type;
    for (const auto& type : {"application/json", "application/json; charset=utf-8", "text/plainx", "text/html"})
        EXPECT_FALSE(IsFormContentType(WithHeaders({{"Content-Type", type}}))) << type;
    EXPECT_FALSE(IsFormContentType(WithHeaders({}))) << "the seed's clients send none";
}

TEST(RequestTargetTest, OriginAndAbsoluteForm) {
    auto origin = ParseRequestTarget("/chat/rooms/1/messages?limit=5&before=9");
    ASSERT_TRUE(origin);
    EXPECT_EQ(origin->path, "/chat/rooms/1/messages");
    EXPECT_EQ(origin->query.at("limit"), "5");
    EXPECT_FALSE(origin->authority);

    auto absolute = ParseRequestTarget("http://chat.example.com:8080/healthz?x=1");
    ASSERT_TRUE(absolute);
    EXPECT_EQ(absolute->path, "/healthz");
    EXPECT_EQ(absolute->query.at("x"), "1");
    EXPECT_EQ(absolute->authority, "chat.example.com:8080");
    auto bare = ParseRequestTarget("https://chat.example.com");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->path, "/");

    EXPECT_EQ(ParseRequestTarget("/%25zz")->path, "/%zz") << "decoded once";
    for (const char* bad : {"/%zz", "/%", "*", "chat.example.com:443", "ftp://host/x", "http:///x", "healthz", ""})
        EXPECT_FALSE(ParseRequestTarget(bad)) << bad;
}

}  // namespace
}  // namespace rooms
