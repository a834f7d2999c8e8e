// Slow and idle HTTP clients: a request trickled byte by byte (slow-loris) and connections that never send
// anything are closed after http.request_timeout_s, and meanwhile they cost the other clients nothing.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

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

/// A plain TCP connection to the server, closed on destruction.
class RawConnection {
  public:
    explicit RawConnection(unsigned short port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~RawConnection() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return connected_; }
    bool Send(std::string_view bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    /// True when the server closes the connection within `timeout` (end of stream or reset; any bytes it
    /// sends first, such as an error response, are read and dropped).
    bool ClosedWithin(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        char buf[4096];
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return true;
        }
    }

  private:
    int fd_;
    bool connected_ = false;
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
