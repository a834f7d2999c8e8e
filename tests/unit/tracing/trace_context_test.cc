#include "tracing/trace_context.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rooms {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesTheSpecsExampleAndFormatsItBack) {
    auto ctx = TraceContext::Parse(kValid);
    ASSERT_TRUE(ctx);
    EXPECT_EQ(ctx->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(ctx->SpanIdHex(), "00f067aa0ba902b7");
    EXPECT_TRUE(ctx->sampled);
    EXPECT_EQ(ctx->ToTraceparent(), kValid);

    auto unsampled = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    ASSERT_TRUE(unsampled);
    EXPECT_FALSE(unsampled->sampled);
    // Only the sampled bit counts among the flags.
    auto other_flags = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09");
    ASSERT_TRUE(other_flags);
    EXPECT_TRUE(other_flags->sampled);
    EXPECT_EQ(other_flags->ToTraceparent(), kValid);
}

TEST(TraceContextTest, RefusesWhatTheSpecSaysToIgnore) {
    for (const char* bad : {
             "", "00",
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",       // short flags
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",     // version 00 has nothing after
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",     // nor anything longer
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",      // uppercase hex
             "00-00000000000000000000000000000000-00f067aa0ba902b7-01",      // zero trace id
             "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",      // zero span id
             "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // version ff
             "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // separator
             "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",      // not hex
             "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // version not hex
             "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.xyz",  // later version, no '-' after
         }) {
        EXPECT_FALSE(TraceContext::Parse(bad)) << bad;
    }
}

TEST(TraceContextTest, ALaterVersionIsReadByItsFirstFields) {
    auto ctx = TraceContext::Parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later");
    ASSERT_TRUE(ctx);
    EXPECT_EQ(ctx->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_TRUE(ctx->sampled);
    EXPECT_TRUE(TraceContext::Parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContextTest, NewIdsAreNonZeroAndDistinct) {
    std::set<std::string> traces, spans;
    for (int i = 0; i < 1000; ++i) {
        TraceContext ctx{NewTraceId(), NewSpanId(), true};
        EXPECT_TRUE(ctx.valid());
        traces.insert(ctx.TraceIdHex());
        spans.insert(ctx.SpanIdHex());
    }
    EXPECT_EQ(traces.size(), 1000u);
    EXPECT_EQ(spans.size(), 1000u);
    EXPECT_FALSE(TraceContext{}.valid());
}

}  // namespace
}  // namespace rooms
