#include "http/json_codec.h"

#include "common/message_codec.h"
#include "common/text.h"

namespace rooms {

json::object MessageToJson(const Message& m) {
    json::object o;
    o.reserve(7);
    o.emplace("id", std::to_string(m.id));
    o.emplace("type", MessageTypeName(m.type));
    o.emplace("content", m.content);
    o.emplace("room_id", std::to_string(m.room_id));
    o.emplace("nickname", m.nickname);
    o.emplace("user_id", std::to_string(m.user_id));
    o.emplace("time_created", FormatTime(m.time_created));
    return o;
}

std::string SerializeMessage(const Message& m) { return json::serialize(MessageToJson(m)); }

std::string SerializeHistory(const std::vector<Message>& newest_first) {
    json::array a;
    a.reserve(newest_first.size());
    for (const auto& m : newest_first) a.emplace_back(MessageToJson(m));
    return json::serialize(a);
}

json::object RoomToJson(const Room& r) {
    return json::object{{"id", std::to_string(r.id)}, {"name", r.name}, {"time_created", FormatTime(r.time_created)}};
}

std::string SerializeWsError(std::string_view message) {
    return json::serialize(json::object{{"type", "error"}, {"message", message}});
}

Result<json::object> ParseJsonObject(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return InvalidArgument("malformed JSON: " + ec.message());
    if (!v.is_object()) return InvalidArgument("request body must be a JSON object");
    return std::move(v.as_object());
}

Result<std::string> RequireString(const json::object& obj, std::string_view field) {
    const json::value* v = obj.if_contains(field);
    if (!v || v->is_null()) return InvalidArgument(std::string(field) + " is required");
    if (!v->is_string()) return InvalidArgument(std::string(field) + " must be a string");
    return std::string(v->as_string());
}

Result<std::vector<std::string>> ParseStringFields(std::string_view body,
                                                   std::initializer_list<std::string_view> fields) {
    auto obj = ParseJsonObject(body);
    if (!obj) return obj.error();
    std::vector<std::string> values;
    values.reserve(fields.size());
    for (std::string_view field : fields) {
        auto value = RequireString(*obj, field);
        if (!value) return value.error();
        values.push_back(std::move(*value));
    }
    return values;
}

}  // namespace rooms
