#include "tracing/trace_context.h"

#include <algorithm>
#include <random>

namespace rooms {

namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // the spec allows lowercase only
}

// Decodes exactly 2 * N lowercase hex characters.
template <std::size_t N>
bool DecodeHex(std::string_view hex, std::array<std::uint8_t, N>& out) {
    if (hex.size() != 2 * N) return false;
    for (std::size_t i = 0; i < N; ++i) {
        const int hi = HexValue(hex[2 * i]);
        const int lo = HexValue(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

template <std::size_t N>
bool AllZero(const std::array<std::uint8_t, N>& a) {
    return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}

std::mt19937_64& Generator() {
    thread_local std::mt19937_64 gen{[] {
        std::random_device rd;
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }()};
    return gen;
}

template <std::size_t N>
std::array<std::uint8_t, N> RandomNonZero() {
    std::array<std::uint8_t, N> out{};
    do {
        for (std::size_t i = 0; i < N; i += 8) {
            std::uint64_t r = Generator()();
            for (std::size_t j = i; j < std::min(N, i + 8); ++j, r >>= 8) out[j] = static_cast<std::uint8_t>(r);
        }
    } while (AllZero(out));
    return out;
}

}  // namespace

std::string ToHex(const std::uint8_t* bytes, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(2 * n, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 0xf];
    }
    return out;
}

bool TraceContext::valid() const { return !AllZero(trace_id) && !AllZero(span_id); }

std::string TraceContext::TraceIdHex() const { return ToHex(trace_id.data(), trace_id.size()); }

std::string TraceContext::SpanIdHex() const { return ToHex(span_id.data(), span_id.size()); }

std::string TraceContext::ToTraceparent() const {
    return "00-" + TraceIdHex() + "-" + SpanIdHex() + (sampled ? "-01" : "-00");
}

std::optional<TraceContext> TraceContext::Parse(std::string_view v) {
    // version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
    constexpr std::size_t kLength = 55;
    if (v.size() < kLength || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
    std::array<std::uint8_t, 1> version{};
    std::array<std::uint8_t, 1> flags{};
    TraceContext ctx;
    if (!DecodeHex(v.substr(0, 2), version) || !DecodeHex(v.substr(3, 32), ctx.trace_id) ||
        !DecodeHex(v.substr(36, 16), ctx.span_id) || !DecodeHex(v.substr(53, 2), flags))
        return std::nullopt;
    if (version[0] == 0xff) return std::nullopt;
    // Version 00 is exactly this long; a later version may append fields after a '-'.
    if (version[0] == 0 ? v.size() != kLength : v.size() > kLength && v[kLength] != '-') return std::nullopt;
    if (!ctx.valid()) return std::nullopt;
    ctx.sampled = (flags[0] & 0x01) != 0;
    return ctx;
}

TraceId NewTraceId() { return RandomNonZero<16>(); }

SpanId NewSpanId() { return RandomNonZero<8>(); }

}  // namespace rooms
