#include "metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "adapters/kafka/kafka_statistics.h"
#include "http/http_metrics.h"
#include "http/websocket_session.h"
#include "metrics/pool_metrics.h"
#include "metrics/process_metrics.h"
#include "services/chat_session.h"

namespace rooms {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CountersGaugesAndHistogramsAppearWithTheirLabels) {
    Metrics metrics;
    CounterFamily refused = metrics.Counters("rooms_test_refused_total", "Refusals by reason.");
    refused.With({{"reason", "rate_limited"}}).Inc();
    refused.With({{"reason", "rate_limited"}}).Inc(2);
    refused.With({{"reason", "too_large"}}).Inc();
    Gauge open = metrics.AddGauge("rooms_test_open", "Open things.");
    open.Inc();
    open.Inc();
    open.Dec();
    Histogram latency = metrics.AddHistogram("rooms_test_duration_seconds", "Latency.", {0.1, 1}, {{"route", "/x"}});
    latency.Observe(0.05);
    latency.Observe(0.5);
    latency.Observe(5);

    const std::string text = metrics.Scrape();
    EXPECT_THAT(text, HasSubstr("# HELP rooms_test_refused_total Refusals by reason."));
    EXPECT_THAT(text, HasSubstr("# TYPE rooms_test_refused_total counter"));
    EXPECT_THAT(text, HasSubstr("rooms_test_refused_total{reason=\"rate_limited\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("rooms_test_refused_total{reason=\"too_large\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE rooms_test_open gauge"));
    EXPECT_THAT(text, HasSubstr("rooms_test_open 1\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE rooms_test_duration_seconds histogram"));
    EXPECT_THAT(text, HasSubstr("rooms_test_duration_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("rooms_test_duration_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("rooms_test_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("rooms_test_duration_seconds_count{route=\"/x\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("rooms_test_duration_seconds_sum{route=\"/x\"} 5.55\n"));
}

TEST(MetricsTest, RegisteringANameAgainSharesItsSeries) {
    Metrics metrics;
    metrics.AddCounter("rooms_test_total", "Things.").Inc();
    metrics.AddCounter("rooms_test_total", "Things.").Inc();
    EXPECT_THAT(metrics.Scrape(), HasSubstr("rooms_test_total 2\n"));
}

TEST(MetricsTest, DefaultHandlesCountNothing) {
    Counter().Inc();
    Gauge().Set(3);
    Histogram().Observe(1);
    CounterFamily().With({{"a", "b"}}).Inc();
    GaugeFamily().With({{"a", "b"}}).Set(1);
    HistogramFamily().With({{"a", "b"}}).Observe(1);
    SUCCEED() << "no metrics object, no crash";
}

TEST(MetricsTest, ObservedCountersAdvanceByWhatTheTotalGrew) {
    Metrics metrics;
    double total = 5;
    double queue = 7;
    metrics.AddObservedCounter("rooms_test_batches_total", "Batches.", [&] { return total; });
    metrics.AddObservedGauge("rooms_test_queue", "Queue.", [&] { return queue; });
    EXPECT_THAT(metrics.Scrape(), HasSubstr("rooms_test_batches_total 5\n"));
    total = 12;
    queue = 2;
    const std::string text = metrics.Scrape();
    EXPECT_THAT(text, HasSubstr("rooms_test_batches_total 12\n"));
    EXPECT_THAT(text, HasSubstr("rooms_test_queue 2\n"));
    total = 3;  // a component restarted its count: the counter never goes down
    EXPECT_THAT(metrics.Scrape(), HasSubstr("rooms_test_batches_total 12\n"));
}

TEST(MetricsTest, ScrapesTimeThemselves) {
    Metrics metrics;
    metrics.Scrape();
    EXPECT_THAT(metrics.Scrape(), HasSubstr("rooms_metrics_scrape_duration_seconds_count 1\n"));
}

TEST(ProcessMetricsTest, ParsesProcStatFields) {
    // proc(5): utime 14, stime 15, num_threads 20, rss 24; the command holds a space and a parenthesis.
    const std::string stat =
        "4242 (rooms (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 200000000 3000 "
        "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
    const auto s = ParseProcStat(stat, 100, 4096);
    ASSERT_TRUE(s);
    EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);
    EXPECT_DOUBLE_EQ(s->threads, 12);
    EXPECT_DOUBLE_EQ(s->resident_bytes, 3000.0 * 4096);
    EXPECT_FALSE(ParseProcStat("garbage", 100, 4096));
    EXPECT_FALSE(ParseProcStat("1 (x) S 1 2", 100, 4096));
}

TEST(ProcessMetricsTest, ThisProcessIsRead) {
    Metrics metrics;
    AddProcessMetrics(metrics);
    const auto s = ReadProcessStats();
    ASSERT_TRUE(s);
    EXPECT_GE(s->threads, 1);
    EXPECT_GT(s->resident_bytes, 0);
    EXPECT_GE(s->open_fds, 3);  // stdin, stdout, stderr at least
    const std::string text = metrics.Scrape();
    EXPECT_THAT(text, HasSubstr("rooms_process_cpu_seconds_total "));
    EXPECT_THAT(text, HasSubstr("rooms_process_resident_memory_bytes "));
    EXPECT_THAT(text, Not(HasSubstr("rooms_process_resident_memory_bytes 0\n")));
    EXPECT_THAT(text, HasSubstr("rooms_process_threads "));
    EXPECT_THAT(text, HasSubstr("rooms_process_open_fds "));
}

TEST(PoolMetricsTest, LabelledByPool) {
    Metrics metrics;
    PoolMetrics redis = PoolMetrics::From(metrics, "redis");
    PoolMetrics pg = PoolMetrics::From(metrics, "postgres");
    redis.errors.Inc();
    pg.in_use.Inc();
    pg.wait_seconds.Observe(0.001);
    const std::string text = metrics.Scrape();
    EXPECT_THAT(text, HasSubstr("rooms_pool_errors_total{pool=\"redis\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("rooms_pool_errors_total{pool=\"postgres\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("rooms_pool_connections_in_use{pool=\"postgres\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("rooms_pool_wait_duration_seconds_count{pool=\"postgres\"} 1\n"));
}

TEST(MetricLabelsTest, CloseCodesAndRefusalReasonsAreAFixedSet) {
    EXPECT_EQ(CloseCodeLabel(WsCloseCode::kPolicyViolation), "1008");
    EXPECT_EQ(CloseCodeLabel(WsCloseCode::kGoingAway), "1001");
    EXPECT_EQ(CloseCodeLabel(WsCloseCode::kNone), "none");
    EXPECT_EQ(CloseCodeLabel(static_cast<WsCloseCode>(4321)), "other");  // whatever a peer sends
    EXPECT_STREQ(RefusalReason(ErrorCode::kRateLimited), "rate_limited");
    EXPECT_STREQ(RefusalReason(ErrorCode::kTooLarge), "too_large");
    EXPECT_STREQ(RefusalReason(ErrorCode::kUnavailable), "unavailable");
}

TEST(MetricLabelsTest, RoutesAreLabelledByTheirPattern) {
    Router router;
    const Handler none = [](RequestContext&) -> asio::awaitable<Response> { co_return Response{}; };
    router.Add(http::verb::get, "/chat/rooms/{id}/messages", {}, none);
    router.Add(http::verb::get, "/metrics", {}, none);
    const auto label = [&](http::verb method, const std::string& target) {
        Request req{method, target, 11};
        return RouteLabel(router, req);
    };
    EXPECT_EQ(label(http::verb::get, "/chat/rooms/42/messages?before=9"), "/chat/rooms/{id}/messages");
    EXPECT_EQ(label(http::verb::get, "/api/chat/rooms/7/messages"), "/chat/rooms/{id}/messages");
    EXPECT_EQ(label(http::verb::get, "/metrics"), "/metrics");
    EXPECT_EQ(label(http::verb::get, "/users/alice/secret"), "other");  // no room or user id leaks into a label
    EXPECT_EQ(label(http::verb::post, "/metrics"), "other");            // 405
}

TEST(KafkaStatisticsTest, ConsumerLagPerPartition) {
    // The shape of librdkafka's statistics (STATISTICS.md), cut down.
    const std::string stats = R"({"name":"c","type":"consumer","topics":{"messages":{"topic":"messages",
        "partitions":{"0":{"partition":0,"consumer_lag":12},"1":{"partition":1,"consumer_lag":-1},
        "-1":{"partition":-1,"consumer_lag":-1}}}}})";
    const auto lags = kafka::ConsumerLags(stats);
    ASSERT_EQ(lags.size(), 2u);
    Metrics metrics;
    kafka::RecordConsumerLags(metrics.Gauges("rooms_kafka_consumer_lag_messages", "Lag."), stats);
    const std::string text = metrics.Scrape();
    EXPECT_THAT(text, HasSubstr("rooms_kafka_consumer_lag_messages{partition=\"0\",topic=\"messages\"} 12\n"));
    EXPECT_THAT(text, HasSubstr("rooms_kafka_consumer_lag_messages{partition=\"1\",topic=\"messages\"} 0\n"));
    EXPECT_THAT(text, Not(HasSubstr("partition=\"-1\"")));
    EXPECT_TRUE(kafka::ConsumerLags("not json").empty());
    EXPECT_TRUE(kafka::ConsumerLags(R"({"topics":[]})").empty());
}

}  // namespace
}  // namespace rooms
