#include "common/message_codec.h"

#include <boost/json.hpp>

namespace rooms {

namespace json = boost::json;

namespace {

Error Invalid(std::string_view what) { return InvalidArgument("invalid message record: " + std::string(what)); }

const std::int64_t* IntField(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v ? v->if_int64() : nullptr;
}

const json::string* StringField(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v ? v->if_string() : nullptr;
}

}  // namespace

std::string_view MessageTypeName(MessageType type) {
    switch (type) {
        case MessageType::kJoin:
            return "join";
        case MessageType::kLeave:
            return "leave";
        case MessageType::kMessage:
            break;
    }
    return "message";
}

std::optional<MessageType> ParseMessageType(std::string_view name) {
    if (name == "message") return MessageType::kMessage;
    if (name == "join") return MessageType::kJoin;
    if (name == "leave") return MessageType::kLeave;
    return std::nullopt;
}

std::string EncodeMessage(const Message& message) {
    json::object o;
    o.reserve(7);
    o.emplace("id", message.id);
    o.emplace("room_id", message.room_id);
    o.emplace("user_id", message.user_id);
    o.emplace("nickname", message.nickname);
    o.emplace("content", message.content);
    o.emplace("time_created", static_cast<std::int64_t>(message.time_created.time_since_epoch().count()));
    o.emplace("type", MessageTypeName(message.type));
    return json::serialize(o);
}

std::string MessageKey(const Message& message) { return std::to_string(message.room_id); }

Result<Message> DecodeMessage(std::string_view value) {
    json::error_code ec;
    json::value parsed = json::parse(value, ec);
    if (ec) return Invalid("not JSON (" + ec.message() + ")");
    const json::object* o = parsed.if_object();
    if (!o) return Invalid("not a JSON object");

    Message m;
    const std::int64_t* id = IntField(*o, "id");
    const std::int64_t* room_id = IntField(*o, "room_id");
    const std::int64_t* user_id = IntField(*o, "user_id");
    const std::int64_t* time_created = IntField(*o, "time_created");
    const json::string* nickname = StringField(*o, "nickname");
    const json::string* content = StringField(*o, "content");
    const json::string* type = StringField(*o, "type");
    if (!id || *id <= 0) return Invalid("\"id\" must be a positive integer");
    if (!room_id || *room_id <= 0) return Invalid("\"room_id\" must be a positive integer");
    if (!user_id) return Invalid("\"user_id\" must be an integer");
    if (!time_created) return Invalid("\"time_created\" must be an integer (microseconds)");
    if (!nickname) return Invalid("\"nickname\" must be a string");
    if (!content) return Invalid("\"content\" must be a string");
    if (!type) return Invalid("\"type\" must be a string");
    std::optional<MessageType> parsed_type = ParseMessageType(*type);
    if (!parsed_type) return Invalid("unknown \"type\" \"" + std::string(*type) + "\"");

    m.id = *id;
    m.room_id = *room_id;
    m.user_id = *user_id;
    m.nickname = std::string(*nickname);
    m.content = std::string(*content);
    m.time_created = TimePoint(std::chrono::microseconds(*time_created));
    m.type = *parsed_type;
    return m;
}

}  // namespace rooms
