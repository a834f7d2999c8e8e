#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rooms {

/// The name of the HTTP header, the Kafka record header and the log field that carry a trace context.
inline constexpr std::string_view kTraceparentHeader = "traceparent";

using TraceId = std::array<std::uint8_t, 16>;
using SpanId = std::array<std::uint8_t, 8>;

/// A position in a trace as W3C Trace Context carries it (https://www.w3.org/TR/trace-context/): the trace, the span
/// that is the parent of what comes next, and whether the trace is sampled. Travels in the `traceparent` HTTP header
/// (a WebSocket handshake's too: the socket's messages are children of its span) and a Kafka record header of that
/// name. A value type.
struct TraceContext {
    TraceId trace_id{};
    SpanId span_id{};
    bool sampled = false;

    /// Both ids non-zero (the spec's all-zero ids are invalid).
    bool valid() const;
    std::string TraceIdHex() const;
    std::string SpanIdHex() const;
    /// "00-<32 hex trace id>-<16 hex span id>-<01 sampled | 00>".
    std::string ToTraceparent() const;

    /// Parses a `traceparent` value as the spec says a receiver must: lowercase hex, version `00` exactly 55
    /// characters, a later version at least that and a `-` after it (its extra fields ignored), version `ff` and
    /// all-zero ids invalid. nullopt for anything else: the receiver then starts a trace of its own.
    static std::optional<TraceContext> Parse(std::string_view traceparent);
};

/// Random non-zero ids (a per-thread generator seeded from std::random_device: trace ids need to be unique, not
/// secret). Thread-safe.
TraceId NewTraceId();
SpanId NewSpanId();

/// Lowercase hex of bytes.
std::string ToHex(const std::uint8_t* bytes, std::size_t n);

}  // namespace rooms
