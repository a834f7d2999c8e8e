#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "metrics/metrics.h"
#include "tracing/tracer.h"

namespace rooms::test_support {

/// Records every batch; can be told to fail.
class RecordingExporter : public SpanExporter {
  public:
    struct State {
        std::mutex mu;
        std::vector<std::vector<SpanData>> batches;
        bool fail = false;
        std::atomic<int> calls{0};  // Export calls begun (counted before the lock is taken)
    };
    explicit RecordingExporter(std::shared_ptr<State> state) : state_(std::move(state)) {}
    bool Export(const std::vector<SpanData>& spans) override {
        ++state_->calls;
        std::lock_guard lock(state_->mu);
        state_->batches.push_back(spans);
        return !state_->fail;
    }

  private:
    std::shared_ptr<State> state_;
};

/// A tracer (sample ratio 1 unless told otherwise) whose exporter keeps every span, with its counters: for the tests
/// of what makes spans. Call tracer->Shutdown() before reading the spans.
struct RecordingTracer {
    explicit RecordingTracer(TracerOptions options = {}) : state(std::make_shared<RecordingExporter::State>()) {
        if (options.sample_ratio == 0) options.sample_ratio = 1;
        options.spans_exported = exported;
        options.spans_dropped = dropped;
        options.export_errors = errors;
        tracer = std::make_unique<Tracer>(options, std::make_unique<RecordingExporter>(state));
    }
    std::vector<SpanData> AllSpans() {
        std::lock_guard lock(state->mu);
        std::vector<SpanData> all;
        for (auto& b : state->batches) all.insert(all.end(), b.begin(), b.end());
        return all;
    }
    /// The spans named `name`, in the order they ended.
    std::vector<SpanData> Named(std::string_view name) {
        std::vector<SpanData> out;
        for (auto& s : AllSpans())
            if (s.name == name) out.push_back(s);
        return out;
    }
    Metrics metrics;
    Counter exported = metrics.AddCounter("t_exported_total", "");
    Counter dropped = metrics.AddCounter("t_dropped_total", "");
    Counter errors = metrics.AddCounter("t_errors_total", "");
    std::shared_ptr<RecordingExporter::State> state;
    std::unique_ptr<Tracer> tracer;
};

}  // namespace rooms::test_support
