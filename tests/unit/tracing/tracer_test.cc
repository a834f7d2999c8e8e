#include "tracing/tracer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics/metrics.h"
#include "support/recording_tracer.h"
#include "tracing/otlp_json.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;

using Fixture = test_support::RecordingTracer;

double Value(Metrics& m, const std::string& name) {
    const std::string text = m.Scrape();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

TEST(TracerTest, ChildrenShareTheTraceAndNameTheirParent) {
    Fixture f;
    TraceContext root_ctx, child_ctx;
    {
        Span root = f.tracer->StartSpan("receive", SpanKind::kServer);
        root_ctx = root.context();
        Span child = f.tracer->StartSpan("kafka.produce", SpanKind::kProducer, root.context());
        child_ctx = child.context();
        child.SetAttribute("messaging.destination.name", std::string("messages"));
        child.SetAttribute("messaging.kafka.partition", std::int64_t{3});
        child.SetError("broker down");
    }
    f.tracer->Shutdown();
    auto spans = f.AllSpans();
    ASSERT_EQ(spans.size(), 2u);
    const SpanData& child = spans[0];  // ends first
    const SpanData& root = spans[1];
    EXPECT_EQ(root.name, "receive");
    EXPECT_EQ(root.parent_span_id, SpanId{});
    EXPECT_EQ(child.trace_id, root.trace_id);
    EXPECT_EQ(child.parent_span_id, root.span_id);
    EXPECT_EQ(child.span_id, child_ctx.span_id);
    EXPECT_EQ(root.span_id, root_ctx.span_id);
    EXPECT_TRUE(child.error);
    EXPECT_EQ(child.status_message, "broker down");
    EXPECT_EQ(child.kind, SpanKind::kProducer);
    ASSERT_EQ(child.attributes.size(), 2u);
    EXPECT_LE(root.start_unix_ns, child.start_unix_ns);
    EXPECT_LE(child.end_unix_ns, root.end_unix_ns);
    EXPECT_EQ(Value(f.metrics, "t_exported_total"), 2);
}

TEST(TracerTest, ARemoteParentKeepsItsTraceAndSampledFlag) {
    Fixture f;
    auto remote = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    auto unsampled = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    {
        Span a = f.tracer->StartSpan("fanout", SpanKind::kConsumer, *remote);
        EXPECT_EQ(a.context().TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        EXPECT_TRUE(a.recording());
        // Not sampled upstream: nothing recorded, even at ratio 1, but the trace goes on downstream.
        Span b = f.tracer->StartSpan("fanout", SpanKind::kConsumer, *unsampled);
        EXPECT_FALSE(b.recording());
        EXPECT_EQ(b.context().TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        EXPECT_FALSE(b.context().sampled);
        EXPECT_NE(b.context().span_id, unsampled->span_id);
    }
    f.tracer->Shutdown();
    auto spans = f.AllSpans();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(ToHex(spans[0].parent_span_id.data(), 8), "00f067aa0ba902b7");
}

TEST(TracerTest, SamplingRatioDecidesNewTraces) {
    TracerOptions none;
    none.sample_ratio = 1e-300;  // as good as 0, yet not the fixture's "unset"
    Fixture f(none);
    for (int i = 0; i < 200; ++i) EXPECT_FALSE(f.tracer->StartSpan("x", SpanKind::kServer).recording());

    TracerOptions quarter;
    quarter.sample_ratio = 0.25;
    Fixture g(quarter);
    int sampled = 0;
    for (int i = 0; i < 4000; ++i) sampled += g.tracer->StartSpan("x", SpanKind::kServer).context().sampled;
    EXPECT_GT(sampled, 800);  // 1000 expected; 800..1200 is over 7 standard deviations wide
    EXPECT_LT(sampled, 1200);
}

TEST(TracerTest, TracingOffRecordsNothingAndPassesTheContextOn) {
    Tracer off;
    EXPECT_FALSE(off.enabled());
    auto remote = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    Span s = off.StartSpan("x", SpanKind::kServer, *remote);
    EXPECT_FALSE(s.recording());
    EXPECT_EQ(s.context().ToTraceparent(), remote->ToTraceparent());
    EXPECT_FALSE(off.StartSpan("y", SpanKind::kServer).context().valid());
}

TEST(TracerTest, BatchesAreBoundedAndAFullQueueDropsAndCounts) {
    TracerOptions o;
    o.batch_max_spans = 10;
    o.queue_max_spans = 25;
    o.flush_interval = 1h;  // only full batches and the shutdown send
    Fixture f(o);
    // Hold the exporter: the first full batch blocks in Export while the queue fills up behind it.
    std::unique_lock hold(f.state->mu);
    for (int i = 0; i < 10; ++i) f.tracer->StartSpan("s", SpanKind::kInternal).End();
    for (int i = 0; i < 1000 && f.state->calls == 0; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(f.state->calls, 1) << "the thread took the batch of 10 and waits in Export";
    for (int i = 0; i < 40; ++i) f.tracer->StartSpan("s", SpanKind::kInternal).End();
    hold.unlock();
    f.tracer->Shutdown();
    auto spans = f.AllSpans();
    EXPECT_EQ(spans.size(), 35u);  // 10 + the 25 the queue held
    {
        std::lock_guard lock(f.state->mu);
        for (auto& b : f.state->batches) EXPECT_LE(b.size(), 10u);
    }
    EXPECT_EQ(Value(f.metrics, "t_dropped_total"), 15);
    EXPECT_EQ(Value(f.metrics, "t_exported_total"), 35);
}

TEST(TracerTest, TheFlushIntervalSendsAPartialBatch) {
    TracerOptions o;
    o.flush_interval = 50ms;
    Fixture f(o);
    f.tracer->StartSpan("lonely", SpanKind::kInternal).End();
    for (int i = 0; i < 100 && f.AllSpans().empty(); ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(f.AllSpans().size(), 1u) << "sent without waiting for a full batch or the shutdown";
}

TEST(TracerTest, AFailedExportIsCountedAndDropped) {
    Fixture f;
    f.state->fail = true;
    for (int i = 0; i < 3; ++i) f.tracer->StartSpan("s", SpanKind::kInternal).End();
    f.tracer->Shutdown();
    EXPECT_EQ(Value(f.metrics, "t_errors_total"), 1);
    EXPECT_EQ(Value(f.metrics, "t_dropped_total"), 3);
    // After the shutdown a span is dropped, not queued for nobody.
    f.tracer->StartSpan("late", SpanKind::kInternal).End();
    EXPECT_EQ(Value(f.metrics, "t_dropped_total"), 4);
}

TEST(OtlpJsonTest, EncodesAsOtlpsJsonMappingSays) {
    SpanData s;
    auto ctx = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    s.trace_id = ctx->trace_id;
    s.span_id = ctx->span_id;
    s.parent_span_id = SpanId{0, 0, 0, 0, 0, 0, 0, 1};
    s.name = "chat.send";
    s.kind = SpanKind::kServer;
    s.start_unix_ns = 1'700'000'000'000'000'001;
    s.end_unix_ns = 1'700'000'000'000'000'999;
    s.attributes = {{"room.id", std::int64_t{42}}, {"ok", true}, {"role", std::string("websocket")}};
    s.error = true;
    s.status_message = "refused";
    SpanData root = s;
    root.parent_span_id = {};
    root.attributes.clear();
    root.error = false;
    const std::string json = EncodeOtlpJson({"rooms-websocket", "7", "host-a", "0.1.0"}, {s, root});
    EXPECT_EQ(
        json,
        R"({"resourceSpans":[{"resource":{"attributes":[)"
        R"({"key":"service.name","value":{"stringValue":"rooms-websocket"}},)"
        R"({"key":"service.instance.id","value":{"stringValue":"7"}},)"
        R"({"key":"host.name","value":{"stringValue":"host-a"}},)"
        R"({"key":"service.version","value":{"stringValue":"0.1.0"}}]},)"
        R"("scopeSpans":[{"scope":{"name":"rooms"},"spans":[)"
        R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"chat.send","kind":2,)"
        R"("startTimeUnixNano":"1700000000000000001","endTimeUnixNano":"1700000000000000999",)"
        R"("parentSpanId":"0000000000000001","attributes":[)"
        R"({"key":"room.id","value":{"intValue":"42"}},{"key":"ok","value":{"boolValue":true}},)"
        R"({"key":"role","value":{"stringValue":"websocket"}}],"status":{"code":2,"message":"refused"}},)"
        R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"chat.send","kind":2,)"
        R"("startTimeUnixNano":"1700000000000000001","endTimeUnixNano":"1700000000000000999"}]}]}]})");
}

}  // namespace
}  // namespace rooms
