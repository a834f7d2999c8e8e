#include "tracing/tracer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rooms {

namespace {

std::int64_t UnixNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Span::Span(Span&& other) noexcept
    : tracer_(std::exchange(other.tracer_, nullptr)), context_(other.context_), data_(std::move(other.data_)) {}

Span& Span::operator=(Span&& other) noexcept {
    if (this != &other) {
        End();
        tracer_ = std::exchange(other.tracer_, nullptr);
        context_ = other.context_;
        data_ = std::move(other.data_);
    }
    return *this;
}

void Span::SetAttribute(std::string key, std::string value) {
    if (data_) data_->attributes.push_back({std::move(key), std::move(value)});
}

void Span::SetAttribute(std::string key, std::int64_t value) {
    if (data_) data_->attributes.push_back({std::move(key), value});
}

void Span::SetAttribute(std::string key, bool value) {
    if (data_) data_->attributes.push_back({std::move(key), value});
}

void Span::SetError(std::string message) {
    if (!data_) return;
    data_->error = true;
    data_->status_message = std::move(message);
}

void Span::End() {
    if (!data_) return;
    data_->end_unix_ns = UnixNanos();
    tracer_->Finish(std::move(data_));
}

Tracer::Tracer(TracerOptions options, std::unique_ptr<SpanExporter> exporter)
    : options_(options), exporter_(std::move(exporter)) {
    options_.batch_max_spans = std::max<std::size_t>(1, options_.batch_max_spans);
    if (exporter_) thread_ = std::thread([this] { Run(); });
}

Tracer::~Tracer() { Shutdown(); }

bool Tracer::Sampled(const TraceId& id) const {
    if (options_.sample_ratio >= 1) return true;
    if (options_.sample_ratio <= 0) return false;
    // The trace id's last 8 bytes as a number, below ratio * 2^64 (OpenTelemetry's TraceIdRatioBased).
    std::uint64_t low = 0;
    for (std::size_t i = 8; i < 16; ++i) low = low << 8 | id[i];
    return static_cast<double>(low) < options_.sample_ratio * std::ldexp(1.0, 64);
}

Span Tracer::StartSpan(std::string_view name, SpanKind kind, const TraceContext& parent) {
    if (!enabled()) return Span(nullptr, parent, nullptr);
    TraceContext ctx;
    ctx.trace_id = parent.valid() ? parent.trace_id : NewTraceId();
    ctx.sampled = parent.valid() ? parent.sampled : Sampled(ctx.trace_id);
    ctx.span_id = NewSpanId();
    if (!ctx.sampled) return Span(nullptr, ctx, nullptr);
    auto data = std::make_unique<SpanData>();
    data->trace_id = ctx.trace_id;
    data->span_id = ctx.span_id;
    if (parent.valid()) data->parent_span_id = parent.span_id;
    data->name = std::string(name);
    data->kind = kind;
    data->start_unix_ns = UnixNanos();
    return Span(this, ctx, std::move(data));
}

void Tracer::Finish(std::unique_ptr<SpanData> span) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_ && queue_.size() < options_.queue_max_spans) {
            queue_.push_back(std::move(span));
            if (queue_.size() >= options_.batch_max_spans) cv_.notify_one();
            return;
        }
    }
    options_.spans_dropped.Inc();
}

void Tracer::Run() {
    std::vector<SpanData> batch;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait_for(lock, options_.flush_interval,
                     [&] { return stopping_ || queue_.size() >= options_.batch_max_spans; });
        if (stopping_ && (queue_.empty() || std::chrono::steady_clock::now() >= drain_deadline_)) break;
        if (queue_.empty()) continue;
        const std::size_t n = std::min(queue_.size(), options_.batch_max_spans);
        batch.clear();
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            batch.push_back(std::move(*queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();
        const bool delivered = exporter_->Export(batch);
        if (delivered) {
            options_.spans_exported.Inc(static_cast<double>(batch.size()));
        } else {
            options_.export_errors.Inc();
            options_.spans_dropped.Inc(static_cast<double>(batch.size()));
        }
        lock.lock();
    }
    options_.spans_dropped.Inc(static_cast<double>(queue_.size()));
    queue_.clear();
}

void Tracer::Shutdown(std::chrono::milliseconds timeout) {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        stopping_ = true;
        drain_deadline_ = std::chrono::steady_clock::now() + timeout;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace rooms
