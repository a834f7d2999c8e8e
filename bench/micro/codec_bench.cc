// Serialization of messages for clients (JSON frames, the join history) and the Kafka/Redis record codec.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "common/message_codec.h"
#include "http/json_codec.h"
#include "support/test_messages.h"

namespace rooms {
namespace {

using test_support::MakeMessage;

/// A chat message of a typical size (~100 bytes of content).
Message TypicalMessage(MessageId id) {
    return MakeMessage(id, 42, "Hello everyone, the build is green again; shall we merge the branch before lunch? 🙂",
                       "alice", 7);
}

void BM_SerializeMessage(benchmark::State& state) {
    const Message m = TypicalMessage(1'234'567'890'123);
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string out = SerializeMessage(m);
        bytes += out.size();
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_SerializeMessage);

void BM_SerializeHistory100(benchmark::State& state) {
    std::vector<Message> history;
    for (MessageId id = 1; id <= 100; ++id) history.push_back(TypicalMessage(1'234'567'890'000 + id));
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string out = SerializeHistory(history);
        bytes += out.size();
        benchmark::DoNotOptimize(out);
    }
    // Items are messages, so the figure compares with BM_SerializeMessage.
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(history.size()));
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_SerializeHistory100);

void BM_EncodeMessage(benchmark::State& state) {
    const Message m = TypicalMessage(1'234'567'890'123);
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string out = EncodeMessage(m);
        bytes += out.size();
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_EncodeMessage);

void BM_DecodeMessage(benchmark::State& state) {
    const std::string value = EncodeMessage(TypicalMessage(1'234'567'890'123));
    for (auto _ : state) {
        auto m = DecodeMessage(value);
        if (!m) state.SkipWithError("decode failed");
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(value.size()));
}
BENCHMARK(BM_DecodeMessage);

}  // namespace
}  // namespace rooms
