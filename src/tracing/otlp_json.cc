#include "tracing/otlp_json.h"

#include <boost/json.hpp>

namespace rooms {

namespace json = boost::json;

namespace {

json::object StringAttribute(std::string_view key, std::string_view value) {
    return {{"key", key}, {"value", {{"stringValue", value}}}};
}

json::object Attribute(const SpanAttribute& a) {
    json::object value;
    if (const auto* s = std::get_if<std::string>(&a.value)) {
        value["stringValue"] = *s;
    } else if (const auto* i = std::get_if<std::int64_t>(&a.value)) {
        value["intValue"] = std::to_string(*i);
    } else {
        value["boolValue"] = std::get<bool>(a.value);
    }
    return {{"key", a.key}, {"value", std::move(value)}};
}

json::object SpanObject(const SpanData& s) {
    json::object span{
        {"traceId", ToHex(s.trace_id.data(), s.trace_id.size())},
        {"spanId", ToHex(s.span_id.data(), s.span_id.size())},
        {"name", s.name},
        {"kind", static_cast<int>(s.kind)},
        {"startTimeUnixNano", std::to_string(s.start_unix_ns)},
        {"endTimeUnixNano", std::to_string(s.end_unix_ns)},
    };
    if (s.parent_span_id != SpanId{}) span["parentSpanId"] = ToHex(s.parent_span_id.data(), s.parent_span_id.size());
    if (!s.attributes.empty()) {
        json::array attributes;
        attributes.reserve(s.attributes.size());
        for (const auto& a : s.attributes) attributes.push_back(Attribute(a));
        span["attributes"] = std::move(attributes);
    }
    // STATUS_CODE_ERROR is 2; an unset status is left out.
    if (s.error) span["status"] = {{"code", 2}, {"message", s.status_message}};
    return span;
}

}  // namespace

std::string EncodeOtlpJson(const TraceResource& resource, const std::vector<SpanData>& spans) {
    json::array resource_attributes{StringAttribute("service.name", resource.service_name)};
    if (!resource.service_instance_id.empty())
        resource_attributes.push_back(StringAttribute("service.instance.id", resource.service_instance_id));
    if (!resource.host_name.empty()) resource_attributes.push_back(StringAttribute("host.name", resource.host_name));
    if (!resource.service_version.empty())
        resource_attributes.push_back(StringAttribute("service.version", resource.service_version));
    json::array out_spans;
    out_spans.reserve(spans.size());
    for (const auto& s : spans) out_spans.push_back(SpanObject(s));
    json::object body{
        {"resourceSpans",
         json::array{json::object{
             {"resource", {{"attributes", std::move(resource_attributes)}}},
             {"scopeSpans", json::array{json::object{{"scope", {{"name", "rooms"}}}, {"spans", std::move(out_spans)}}}},
         }}},
    };
    return json::serialize(body);
}

}  // namespace rooms
