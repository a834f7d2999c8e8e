#pragma once

#include <string>
#include <vector>

#include "tracing/tracer.h"

namespace rooms {

/// Who produced the spans: OTLP resource attributes.
struct TraceResource {
    std::string service_name;         // service.name: "rooms-<role>"
    std::string service_instance_id;  // service.instance.id: the node id
    std::string host_name;            // host.name
    std::string service_version;      // service.version
};

/// The body of an OTLP/HTTP JSON export request (`POST /v1/traces`, `Content-Type: application/json`): one
/// resourceSpans with one scopeSpans ("rooms"). As OTLP's JSON encoding says: ids in lowercase hex, 64-bit
/// integers as decimal strings, enums as their numbers.
std::string EncodeOtlpJson(const TraceResource& resource, const std::vector<SpanData>& spans);

}  // namespace rooms
