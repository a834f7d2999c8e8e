// Slow and idle HTTP clients: a request trickled byte by byte (slow-loris) and connections that never send
// anything are closed after http.request_timeout_s, and meanwhile they cost the other clients nothing.

#include <gtest/gtest.h>

#include <vector>

#include "raw_connection.h"
#include "test_util.h"

namespace rooms_e2e {
namespace {

constexpr auto kRequestTimeout = 2s;

class ConnectionLimitTest : public SharedServerTest<ConnectionLimitTest> {
  public:
    static std::map<std::string, std::string> Env() {
        return NoRateLimit({{"ROOMS_HTTP_REQUEST_TIMEOUT_S", std::to_string(kRequestTimeout.count())}});
    }
};

TEST_F(ConnectionLimitTest, SlowLorisIsCutOffAndOthersAreServedMeanwhile) {
    RawConnection slow(port());
    ASSERT_TRUE(slow.connected());
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(200, 'a');
    HttpClient http(port(), 1s);
    bool cut = false;
    const auto start = Clock::now();
    // One byte every 100 ms: the request would take 25 s, far beyond the 2 s to read one.
    for (std::size_t i = 0; i < request.size() && !cut; ++i) {
        if (!slow.Send(request.substr(i, 1))) {
            cut = true;
            break;
        }
        if (i % 5 == 0) {
            auto res = http.Get("/healthz");
            EXPECT_EQ(res.status, 200) << "another client while the slow one trickles: " << res.Describe();
        }
        cut = slow.ClosedWithin(100ms);
    }
    EXPECT_TRUE(cut) << "the trickling client was never cut off";
    EXPECT_LT(Clock::now() - start, kRequestTimeout + 5s) << "cut off, but long after http.request_timeout_s";
}

TEST_F(ConnectionLimitTest, IdleConnectionsAreClosedAfterTheTimeout) {
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 50; ++i) {
        idle.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(idle.back()->connected()) << i;
    }
    EXPECT_EQ(HttpClient(port(), 1s).Get("/healthz").status, 200) << "50 idle connections shut others out";
    for (std::size_t i = 0; i < idle.size(); ++i)
        EXPECT_TRUE(idle[i]->ClosedWithin(kRequestTimeout + 5s)) << "idle connection " << i << " is still open";
}

TEST_F(ConnectionLimitTest, KeepAliveConnectionIsClosedWhenIdleAfterAResponse) {
    RawConnection c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    // The response arrives and the connection stays open for the next request, then idles out.
    EXPECT_TRUE(c.ClosedWithin(kRequestTimeout + 5s)) << "an idle keep-alive connection stays open";
}

}  // namespace
}  // namespace rooms_e2e
