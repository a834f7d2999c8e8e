#include "http/probes.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace rooms {
namespace {

TEST(ReadinessTest, RequiredChecksFailOptionalOnesDegrade) {
    auto fine = [] { return std::optional<std::string>(); };
    auto down = [] { return std::optional<std::string>("connection refused"); };
    auto throws = []() -> std::optional<std::string> { throw std::runtime_error("boom"); };

    Response ready = ReadinessResponse(CheckReadiness({{"postgres", fine}, {"redis", fine, false}}));
    EXPECT_EQ(ready.result(), http::status::ok);
    EXPECT_EQ(ready.body(), R"({"status":"ready"})");

    Response degraded = ReadinessResponse(CheckReadiness({{"postgres", fine}, {"redis", down, false}}));
    EXPECT_EQ(degraded.result(), http::status::ok);
    EXPECT_EQ(degraded.body(), R"({"status":"degraded","degraded":"redis: connection refused"})");

    Response not_ready = ReadinessResponse(CheckReadiness({{"postgres", throws}, {"redis", down, false}}));
    EXPECT_EQ(not_ready.result(), http::status::service_unavailable);
    EXPECT_NE(not_ready.body().find("not ready: postgres: boom; degraded: redis: connection refused"),
              std::string::npos)
        << not_ready.body();
}

TEST(ReadinessTest, CachedAnswerRunsTheChecksOncePerTtl) {
    int runs = 0;
    std::vector<ReadinessCheck> checks{{"store", [&] {
                                            ++runs;
                                            return std::optional<std::string>();
                                        }}};
    CachedReadiness cached(checks, std::chrono::hours(1));
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(cached.Get().problems.empty());
    EXPECT_EQ(runs, 1) << "a flood of /readyz must not run the checks each time";

    CachedReadiness uncached(checks, std::chrono::milliseconds(0));
    for (int i = 0; i < 3; ++i) uncached.Get();
    EXPECT_EQ(runs, 4);
}

}  // namespace
}  // namespace rooms
