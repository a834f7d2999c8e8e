// ValidateMessageContent (size, UTF-8, blankness, NUL) on the scripts clients send, short and at the limit.

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "services/validation.h"

namespace rooms {
namespace {

constexpr std::int64_t kMaxBytes = 4096;

/// `unit` repeated to exactly `bytes` bytes or less, never splitting a code point (units are whole
/// code points).
std::string Fill(std::string_view unit, std::size_t bytes) {
    std::string out;
    while (out.size() + unit.size() <= bytes) out += unit;
    return out;
}

std::string Text(int script, std::size_t bytes) {
    switch (script) {
        case 0:
            return Fill("hello world ", bytes);  // ASCII: 1 byte per character
        case 1:
            return Fill("привет мир ", bytes);  // Cyrillic: 2 bytes per letter
        default:
            return Fill("😀🎉👍 ", bytes);  // emoji: 4 bytes each
    }
}

void BM_ValidateMessageContent(benchmark::State& state) {
    const std::string text = Text(static_cast<int>(state.range(0)), static_cast<std::size_t>(state.range(1)));
    for (auto _ : state) {
        auto err = ValidateMessageContent(text, kMaxBytes);
        if (err) state.SkipWithError("unexpectedly invalid");
        benchmark::DoNotOptimize(err);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
    state.SetLabel(std::string(state.range(0) == 0   ? "ascii"
                               : state.range(0) == 1 ? "cyrillic"
                                                     : "emoji") +
                   "/" + std::to_string(text.size()) + "B");
}
BENCHMARK(BM_ValidateMessageContent)->ArgNames({"script", "bytes"})->ArgsProduct({{0, 1, 2}, {100, 4096}});

}  // namespace
}  // namespace rooms
