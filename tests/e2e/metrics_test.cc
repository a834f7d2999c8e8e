// GET /metrics of `rooms serve`: the Prometheus text that the requests, room sockets and messages of a test move.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

/// Every sample of a text exposition: "name{labels}" -> value.
std::map<std::string, double> ParseSamples(const std::string& text) {
    std::map<std::string, double> samples;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        if (space == std::string::npos) continue;
        try {
            samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
        } catch (...) {
            ADD_FAILURE() << "not a sample: " << line;
        }
    }
    return samples;
}

class MetricsTest : public SharedServerTest<MetricsTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit(); }

  protected:
    std::map<std::string, double> Scrape() {
        HttpClient http(port());
        auto res = http.Get("/metrics");
        EXPECT_EQ(res.status, 200) << res.Describe();
        EXPECT_EQ(res.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
        return ParseSamples(res.body);
    }
    static double Value(const std::map<std::string, double>& s, const std::string& series) {
        auto it = s.find(series);
        return it == s.end() ? 0 : it->second;
    }
    /// The sum of every series of `name` (any labels).
    static double Sum(const std::map<std::string, double>& s, const std::string& name) {
        double sum = 0;
        for (const auto& [series, value] : s)
            if (series == name || series.starts_with(name + "{")) sum += value;
        return sum;
    }
    /// Scrapes until `ok` holds (bounded: the server counts a socket's end once it has unwound).
    template <typename Pred>
    std::map<std::string, double> ScrapeUntil(Pred ok) {
        std::map<std::string, double> s;
        for (int i = 0; i < 50; ++i) {
            s = Scrape();
            if (ok(s)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return s;
    }
};

TEST_F(MetricsTest, RequestsSocketsAndMessagesMoveTheCounters) {
    const auto before = Scrape();
    EXPECT_GT(Value(before, "rooms_process_resident_memory_bytes"), 0);
    EXPECT_GE(Value(before, "rooms_process_threads"), 2);
    EXPECT_GE(Value(before, "rooms_process_open_fds"), 3);
    EXPECT_TRUE(before.count("rooms_process_cpu_seconds_total"));

    HttpClient http(port());
    for (int i = 0; i < 3; ++i) ASSERT_EQ(http.Get("/healthz").status, 200);
    ASSERT_EQ(http.Get("/api/no/such/path").status, 404);

    Api api(port());
    User alice = api.NewUser("metrics");
    const std::string room = api.NewRoom(alice);
    Member m = Join(port(), room, alice);
    ASSERT_TRUE(m.ws);
    ASSERT_TRUE(SendAndAwaitEcho(*m.ws, alice, "counted"));
    ASSERT_TRUE(m.ws->Send(std::string(5000, 'x')));  // over chat.max_message_bytes: refused
    auto refusal =
        ReadUntil(*m.ws, [](const json::object& f) { return f.contains("type") && f.at("type") == "error"; });
    ASSERT_TRUE(refusal) << "no error frame for an oversized message";

    const auto during = Scrape();
    const std::string healthz = R"(rooms_http_requests_total{method="GET",route="/healthz",status="200"})";
    EXPECT_EQ(Value(during, healthz) - Value(before, healthz), 3);
    EXPECT_GE(Value(during, R"(rooms_http_requests_total{method="GET",route="other",status="404"})"), 1);
    EXPECT_GE(Value(during, R"(rooms_http_requests_total{method="POST",route="/chat/rooms",status="201"})") +
                  Value(during, R"(rooms_http_requests_total{method="POST",route="/chat/rooms",status="200"})"),
              1);
    EXPECT_GE(Value(during, R"(rooms_http_request_duration_seconds_count{method="GET",route="/healthz"})"), 3);
    EXPECT_EQ(Value(during, "rooms_websocket_connections"), 1);
    EXPECT_GE(Value(during, "rooms_http_connections"), 2);  // the socket and this scrape
    EXPECT_EQ(Value(during, "rooms_chat_messages_accepted_total") - Value(before, "rooms_chat_messages_accepted_total"),
              1);
    EXPECT_EQ(Sum(during, "rooms_chat_messages_refused_total") - Sum(before, "rooms_chat_messages_refused_total"), 1);
    // The join notice, the echo and the error frame went through the send queue.
    EXPECT_GE(Value(during, "rooms_websocket_frames_sent_total") - Value(before, "rooms_websocket_frames_sent_total"),
              3);
    EXPECT_GE(Value(during, "rooms_chat_delivery_duration_seconds_count"), 1);
    // NewUser registers and logs in: two Argon2id runs on the hash pool, each waited for and timed.
    EXPECT_GE(Value(during, "rooms_auth_hash_duration_seconds_count") -
                  Value(before, "rooms_auth_hash_duration_seconds_count"),
              2);
    EXPECT_GT(Value(during, "rooms_auth_hash_duration_seconds_sum"), 0);
    EXPECT_GE(Value(during, "rooms_auth_hash_queue_wait_seconds_count") -
                  Value(before, "rooms_auth_hash_queue_wait_seconds_count"),
              2);
    EXPECT_EQ(Value(during, "rooms_auth_hash_queue"), 0) << "nothing waits once the calls answered";

    m.ws->Close();
    const std::string closed_normally = R"(rooms_websocket_closes_total{code="1000"})";
    const std::string upgraded = R"(rooms_http_requests_total{method="GET",route="/chat/rooms/{id}",status="101"})";
    // The upgrade is counted when the socket starts (the request's handling ends there).
    const auto after = ScrapeUntil([&](const auto& s) {
        return Value(s, closed_normally) >= 1 && Value(s, "rooms_websocket_connections") == 0 &&
               Value(s, upgraded) >= 1;
    });
    EXPECT_EQ(Value(after, closed_normally), 1);
    EXPECT_EQ(Value(after, "rooms_websocket_connections"), 0);
    EXPECT_EQ(Value(after, upgraded), 1);
    EXPECT_GE(Value(after, "rooms_metrics_scrape_duration_seconds_count"), 2);
}

}  // namespace
}  // namespace rooms_e2e
