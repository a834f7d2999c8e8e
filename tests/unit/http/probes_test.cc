#include "http/probes.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

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

}  // namespace
}  // namespace rooms
