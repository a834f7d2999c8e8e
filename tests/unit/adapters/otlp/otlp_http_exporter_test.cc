#include "adapters/otlp/otlp_http_exporter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/closed_port.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;

// A one-thread HTTP/1.1 collector on loopback: answers each request with `status`, keeps the connection unless
// told to close it after every answer (as a collector that drops idle connections). Records the requests.
class TinyCollector {
  public:
    explicit TinyCollector(int status, bool close_after_each = false)
        : status_(status), close_after_each_(close_after_each) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 8) != 0 ||
            ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw std::runtime_error("cannot listen on loopback");
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { Serve(); });
    }
    ~TinyCollector() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces"; }
    std::vector<std::string> Requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }
    int Connections() {
        std::lock_guard lock(mu_);
        return connections_;
    }

  private:
    static bool Readable(int fd) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 50) == 1;
    }
    void Serve() {
        int conn = -1;
        std::string in;
        while (!stop_) {  // bounded: the destructor stops it; every wait is 50 ms
            if (conn < 0) {
                if (!Readable(listen_fd_)) continue;
                conn = ::accept(listen_fd_, nullptr, nullptr);
                std::lock_guard lock(mu_);
                ++connections_;
                continue;
            }
            if (!Readable(conn)) continue;
            char buf[65536];
            const ssize_t n = ::read(conn, buf, sizeof buf);
            if (n <= 0) {
                ::close(conn);
                conn = -1;
                in.clear();
                continue;
            }
            in.append(buf, static_cast<std::size_t>(n));
            const auto head_end = in.find("\r\n\r\n");
            if (head_end == std::string::npos) continue;
            const auto cl = in.find("Content-Length: ");
            const std::size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
            if (in.size() < head_end + 4 + body) continue;
            {
                std::lock_guard lock(mu_);
                requests_.push_back(in.substr(0, head_end + 4 + body));
            }
            in.erase(0, head_end + 4 + body);
            const std::string answer = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Length: 2\r\n" +
                                       (close_after_each_ ? "Connection: close\r\n" : "") + "\r\n{}";
            (void)::write(conn, answer.data(), answer.size());
            if (close_after_each_) {
                ::close(conn);
                conn = -1;
            }
        }
        if (conn >= 0) ::close(conn);
    }

    const int status_;
    const bool close_after_each_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::vector<std::string> requests_;
    int connections_ = 0;
    std::thread thread_;
};

std::vector<SpanData> OneSpan(const std::string& name) {
    SpanData s;
    s.name = name;
    s.trace_id = NewTraceId();
    s.span_id = NewSpanId();
    s.start_unix_ns = 1;
    s.end_unix_ns = 2;
    return {s};
}

TEST(OtlpHttpExporterTest, PostsOtlpJsonOnOneKeptAliveConnection) {
    TinyCollector collector(200);
    OtlpHttpExporter exporter(collector.Endpoint(), TraceResource{"rooms-test", "1", "host", "0.1.0"}, 2000ms);
    EXPECT_TRUE(exporter.Export(OneSpan("chat.send")));
    EXPECT_TRUE(exporter.Export(OneSpan("chat.fanout")));
    const auto requests = collector.Requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(collector.Connections(), 1);
    EXPECT_EQ(requests[0].rfind("POST /v1/traces HTTP/1.1\r\n", 0), 0u) << requests[0];
    EXPECT_NE(requests[0].find("Content-Type: application/json"), std::string::npos);
    const auto body = boost::json::parse(requests[0].substr(requests[0].find("\r\n\r\n") + 4));
    const auto& rs = body.at("resourceSpans").at(0);
    EXPECT_NE(boost::json::serialize(rs.at("resource")).find("rooms-test"), std::string::npos);
    EXPECT_EQ(rs.at("scopeSpans").at(0).at("spans").at(0).at("name"), "chat.send");
}

TEST(OtlpHttpExporterTest, AConnectionTheCollectorClosedIsReplaced) {
    TinyCollector collector(200, /*close_after_each=*/true);
    OtlpHttpExporter exporter(collector.Endpoint(), TraceResource{"rooms-test", "1", "host", "0.1.0"}, 2000ms);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(exporter.Export(OneSpan("s")));
    EXPECT_EQ(collector.Requests().size(), 3u);
    EXPECT_EQ(collector.Connections(), 3);
}

TEST(OtlpHttpExporterTest, ARefusalOrNoCollectorIsAFailedExport) {
    TinyCollector refusing(500);
    OtlpHttpExporter to_refusing(refusing.Endpoint(), TraceResource{"rooms-test", "1", "host", "0.1.0"}, 2000ms);
    EXPECT_FALSE(to_refusing.Export(OneSpan("s")));
    const std::string nobody = "http://127.0.0.1:" + std::to_string(test_support::ClosedPort()) + "/v1/traces";
    OtlpHttpExporter to_nobody(nobody, TraceResource{"rooms-test", "1", "host", "0.1.0"}, 2000ms);
    EXPECT_FALSE(to_nobody.Export(OneSpan("s")));
}

TEST(OtlpHttpExporterTest, AnEndpointThatIsNotPlainHttpIsRefused) {
    for (const char* bad : {"", "127.0.0.1:4318", "https://collector:4318/v1/traces", "http:///v1/traces"})
        EXPECT_THROW(OtlpHttpExporter(bad, TraceResource{}, 1000ms), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace rooms
