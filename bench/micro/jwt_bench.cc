// HS256 access tokens: issued at every login and refresh, verified on every authenticated request.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "crypto/jwt.h"
#include "support/test_messages.h"

namespace rooms {
namespace {

const std::string kKey = "micro-benchmark-jwt-key-32-bytes";

void BM_JwtIssue(benchmark::State& state) {
    const JwtCodec jwt(kKey);
    const Principal who{7, "alice"};
    const TimePoint now = test_support::FixedTime();
    for (auto _ : state) {
        std::string token = jwt.Issue(who, now, std::chrono::seconds(900));
        benchmark::DoNotOptimize(token);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtIssue);

void BM_JwtVerify(benchmark::State& state) {
    const JwtCodec jwt(kKey);
    const TimePoint now = test_support::FixedTime();
    const std::string token = jwt.Issue(Principal{7, "alice"}, now, std::chrono::seconds(900));
    for (auto _ : state) {
        auto who = jwt.Verify(token, now);
        if (!who) state.SkipWithError("verify failed");
        benchmark::DoNotOptimize(who);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtVerify);

void BM_JwtVerifyBadSignature(benchmark::State& state) {
    const JwtCodec jwt(kKey);
    const TimePoint now = test_support::FixedTime();
    std::string token = jwt.Issue(Principal{7, "alice"}, now, std::chrono::seconds(900));
    token.back() = token.back() == 'A' ? 'B' : 'A';
    for (auto _ : state) {
        auto who = jwt.Verify(token, now);
        if (who) state.SkipWithError("a forged token verified");
        benchmark::DoNotOptimize(who);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JwtVerifyBadSignature);

}  // namespace
}  // namespace rooms
