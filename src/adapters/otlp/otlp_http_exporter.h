#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tracing/otlp_json.h"
#include "tracing/tracer.h"

namespace rooms {

/// Sends span batches to an OTLP/HTTP collector: `POST <path>` with OTLP's JSON body, over one kept-alive TCP
/// connection of its own (plain HTTP: a collector is a local agent or a sidecar). A send that fails on a kept-alive
/// connection is tried once more on a new one (the collector may have closed it while idle); every attempt is bounded
/// by `timeout` from connect to the answer. A failure is logged at most every 30 s. Called from the tracer's thread
/// only (SpanExporter's rule), so it holds no lock.
class OtlpHttpExporter final : public SpanExporter {
  public:
    /// `endpoint`: "http://HOST:PORT/v1/traces". Throws std::invalid_argument for anything else.
    OtlpHttpExporter(const std::string& endpoint, TraceResource resource, std::chrono::milliseconds timeout);
    ~OtlpHttpExporter() override;

    bool Export(const std::vector<SpanData>& spans) override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rooms
