#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "metrics/metrics.h"
#include "tracing/trace_context.h"

namespace rooms {

/// OTLP's span kinds (their numbers are OTLP's).
enum class SpanKind : int { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };

struct SpanAttribute {
    std::string key;
    std::variant<std::string, std::int64_t, bool> value;
};

/// A finished span as the exporter sees it.
struct SpanData {
    TraceId trace_id{};
    SpanId span_id{};
    SpanId parent_span_id{};  // all zero for the root of a trace
    std::string name;
    SpanKind kind = SpanKind::kInternal;
    std::int64_t start_unix_ns = 0;
    std::int64_t end_unix_ns = 0;
    std::vector<SpanAttribute> attributes;
    bool error = false;
    std::string status_message;  // with error
};

/// What a batch of spans is sent to (OTLP/HTTP: adapters/otlp). Called on the tracer's own thread only, one batch at
/// a time; may block (bounded by its own timeout). Returns false when the batch was not delivered (it is dropped and
/// counted: spans are not worth a retry queue).
class SpanExporter {
  public:
    virtual ~SpanExporter() = default;
    virtual bool Export(const std::vector<SpanData>& spans) = 0;
};

class Tracer;

/// One operation of a trace. Recording only when its trace is sampled; unsampled (or with tracing off) it records
/// nothing and costs no allocation, yet its context() still propagates the trace downstream. Ends when End() is
/// called or when it is destroyed. Move-only; not thread-safe (one owner at a time).
class Span {
  public:
    Span() = default;
    /// Records nothing and carries `context` on (what an unsampled span or a disabled tracer gives).
    explicit Span(const TraceContext& context) : context_(context) {}
    Span(Span&& other) noexcept;
    Span& operator=(Span&& other) noexcept;
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;
    ~Span() { End(); }

    /// The context a child of this span, here or in another process, continues from. Invalid for a default span.
    const TraceContext& context() const { return context_; }
    bool recording() const { return data_ != nullptr; }

    void SetAttribute(std::string key, std::string value);
    void SetAttribute(std::string key, std::int64_t value);
    void SetAttribute(std::string key, bool value);
    /// Marks the span failed, with what went wrong.
    void SetError(std::string message);
    /// Stamps the end time and queues the span for export. Later calls do nothing.
    void End();

  private:
    friend class Tracer;
    Span(Tracer* tracer, TraceContext context, std::unique_ptr<SpanData> data)
        : tracer_(tracer), context_(context), data_(std::move(data)) {}

    Tracer* tracer_ = nullptr;
    TraceContext context_;
    std::unique_ptr<SpanData> data_;
};

struct TracerOptions {
    /// Share of new traces recorded, 0..1, decided from the trace id (as OpenTelemetry's TraceIdRatioBased sampler),
    /// so every process decides alike for one trace id. A trace started elsewhere keeps its sampled flag.
    double sample_ratio = 0;
    std::size_t queue_max_spans = 8192;              // finished spans waiting for export; past it new ones are dropped
    std::size_t batch_max_spans = 512;               // spans per export call
    std::chrono::milliseconds flush_interval{1000};  // a batch leaves at least this often

    Counter spans_exported;  // rooms_trace_spans_total{result="exported"}
    Counter spans_dropped;   // result="dropped": the queue was full, or an export failed
    Counter export_errors;   // rooms_trace_export_errors_total
};

/// Starts spans and exports the finished sampled ones in batches on a thread of its own, off the callers' paths: a
/// finished span is moved into a bounded queue under a lock (no I/O, no allocation beyond the span's own), the thread
/// hands batches to the exporter. Without an exporter tracing is off: spans only carry contexts along. Thread-safe;
/// outlives every span it started.
class Tracer {
  public:
    /// Tracing off.
    Tracer() = default;
    Tracer(TracerOptions options, std::unique_ptr<SpanExporter> exporter);
    ~Tracer();
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

    bool enabled() const { return exporter_ != nullptr; }

    /// A span named `name`: the child of `parent` when that is valid (same trace, its sampled flag), else the root of
    /// a new trace, sampled by sample_ratio. Tracing off: an unrecording span carrying `parent` on.
    Span StartSpan(std::string_view name, SpanKind kind, const TraceContext& parent = {});

    /// Exports what is queued (waiting at most `timeout`) and stops the thread. Spans ended later are dropped.
    void Shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  private:
    friend class Span;
    void Finish(std::unique_ptr<SpanData> span);
    void Run();
    bool Sampled(const TraceId& id) const;

    TracerOptions options_;
    std::unique_ptr<SpanExporter> exporter_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<SpanData>> queue_;           // guarded by mu_
    bool stopping_ = false;                                 // guarded by mu_
    std::chrono::steady_clock::time_point drain_deadline_;  // guarded by mu_, with stopping_
    std::thread thread_;
};

}  // namespace rooms
