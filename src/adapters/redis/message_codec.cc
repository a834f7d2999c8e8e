#include "adapters/redis/message_codec.h"

#include <boost/json.hpp>

namespace rooms {
namespace {

namespace json = boost::json;

std::string_view TypeName(MessageType type) {
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

std::optional<MessageType> TypeFromName(std::string_view name) {
    if (name == "message") return MessageType::kMessage;
    if (name == "join") return MessageType::kJoin;
    if (name == "leave") return MessageType::kLeave;
    return std::nullopt;
}

std::optional<std::int64_t> Int(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    return std::nullopt;
}

const json::string* String(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr ? v->if_string() : nullptr;
}

}  // namespace

std::string EncodeStoredMessage(const Message& m) {
    json::object o;
    o.reserve(7);
    o.emplace("id", m.id);
    o.emplace("room_id", m.room_id);
    o.emplace("user_id", m.user_id);
    o.emplace("nickname", m.nickname);
    o.emplace("content", m.content);
    o.emplace("time_created", m.time_created.time_since_epoch().count());
    o.emplace("type", TypeName(m.type));
    return json::serialize(o);
}

std::optional<Message> DecodeStoredMessage(std::string_view text) {
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const json::object& o = v.get_object();
    const auto id = Int(o, "id");
    const auto room_id = Int(o, "room_id");
    const auto user_id = Int(o, "user_id");
    const auto time_created = Int(o, "time_created");
    const json::string* nickname = String(o, "nickname");
    const json::string* content = String(o, "content");
    const json::string* type_name = String(o, "type");
    if (!id || !room_id || !user_id || !time_created || nickname == nullptr || content == nullptr ||
        type_name == nullptr)
        return std::nullopt;
    const auto type = TypeFromName(*type_name);
    if (!type) return std::nullopt;
    Message m;
    m.id = *id;
    m.room_id = *room_id;
    m.user_id = *user_id;
    m.nickname = std::string(*nickname);
    m.content = std::string(*content);
    m.time_created = TimePoint(std::chrono::microseconds(*time_created));
    m.type = *type;
    return m;
}

}  // namespace rooms
