#include "client/wire.h"

#include <boost/json.hpp>

namespace rooms::client {

namespace json = boost::json;

namespace {

std::optional<json::value> Parse(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

/// A string field, or a number written as a string (ids are strings, but a lenient reader costs nothing).
std::string Field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_uint64()) return std::to_string(v->get_uint64());
    return {};
}

std::optional<ChatMessage> FromObject(const json::value& v) {
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    if (!o.if_contains("content") || !o.at("content").is_string()) return std::nullopt;
    ChatMessage m;
    m.id = Field(o, "id");
    m.type = Field(o, "type");
    m.content = Field(o, "content");
    m.room_id = Field(o, "room_id");
    m.nickname = Field(o, "nickname");
    m.user_id = Field(o, "user_id");
    m.time_created = Field(o, "time_created");
    if (m.type.empty()) {
        // The seed's server sends no type; its presence notices are recognised by their fixed content.
        m.type = m.content == "joined the room" ? "join" : m.content == "left the room" ? "leave" : "message";
    }
    if (m.type != "message" && m.type != "join" && m.type != "leave") return std::nullopt;
    return m;
}

std::optional<RoomInfo> RoomFromValue(const json::value& v) {
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    RoomInfo r{Field(o, "id"), Field(o, "name"), Field(o, "time_created")};
    if (r.id.empty()) return std::nullopt;
    return r;
}

/// A JSON array of what `item` reads; null (a Go nil slice) is empty; any unreadable item fails it all.
template <typename T, typename Item>
std::optional<std::vector<T>> ParseArray(std::string_view text, Item item) {
    auto v = Parse(text);
    if (!v) return std::nullopt;
    std::vector<T> out;
    if (v->is_null()) return out;
    if (!v->is_array()) return std::nullopt;
    for (const auto& element : v->get_array()) {
        auto parsed = item(element);
        if (!parsed) return std::nullopt;
        out.push_back(std::move(*parsed));
    }
    return out;
}

}  // namespace

std::optional<ChatMessage> ParseMessage(std::string_view text) {
    auto v = Parse(text);
    if (!v) return std::nullopt;
    return FromObject(*v);
}

std::optional<std::vector<ChatMessage>> ParseMessageList(std::string_view text) {
    return ParseArray<ChatMessage>(text, FromObject);
}

std::optional<RoomFrame> ParseRoomFrame(std::string_view text) {
    auto v = Parse(text);
    if (!v || !v->is_object()) return std::nullopt;
    RoomFrame f;
    const auto& o = v->get_object();
    if (Field(o, "type") == "error") {
        f.error = Field(o, "message");
        return f;
    }
    f.message = FromObject(*v);
    if (!f.message) return std::nullopt;
    return f;
}

std::optional<RoomInfo> ParseRoom(std::string_view text) {
    auto v = Parse(text);
    if (!v) return std::nullopt;
    return RoomFromValue(*v);
}

std::optional<std::vector<RoomInfo>> ParseRooms(std::string_view text) {
    return ParseArray<RoomInfo>(text, RoomFromValue);
}

std::optional<std::vector<std::string>> ParseClients(std::string_view text) {
    return ParseArray<std::string>(text, [](const json::value& v) -> std::optional<std::string> {
        if (!v.is_object()) return std::nullopt;
        return Field(v.get_object(), "nickname");
    });
}

std::optional<TokenPair> ParseTokenPair(std::string_view text) {
    auto v = Parse(text);
    if (!v || !v->is_object()) return std::nullopt;
    const auto& o = v->get_object();
    TokenPair t{Field(o, "nickname"), Field(o, "user_id"), Field(o, "access_token"), Field(o, "refresh_token")};
    if (t.access_token.empty() || t.refresh_token.empty()) return std::nullopt;
    return t;
}

std::string ParseErrorMessage(std::string_view body) {
    if (auto v = Parse(body); v && v->is_object()) {
        if (auto m = Field(v->get_object(), "message"); !m.empty()) return m;
    }
    std::string text(body.substr(0, 200));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string CredentialsJson(std::string_view nickname, std::string_view password) {
    return json::serialize(json::object{{"nickname", nickname}, {"password", password}});
}

std::string RefreshTokenJson(std::string_view refresh_token) {
    return json::serialize(json::object{{"refresh_token", refresh_token}});
}

std::string RoomNameJson(std::string_view name) { return json::serialize(json::object{{"name", name}}); }

}  // namespace rooms::client
