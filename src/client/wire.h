#pragma once

// The API's JSON, as a client reads and writes it (docs/API.md). Every parser here is pure and never throws:
// malformed input is an empty optional. Fields the seed's Go server leaves out (id, type) are empty strings.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rooms::client {

/// A room message as the server sends it. Ids stay strings, as on the wire.
struct ChatMessage {
    std::string id;    // empty from the seed's server, which has no message ids
    std::string type;  // "message" | "join" | "leave"; inferred from the content when the server sends none;
                       // "notice" | "gap" for lines the client adds itself (never from the server)
    std::string content;
    std::string room_id;
    std::string nickname;
    std::string user_id;
    std::string time_created;  // RFC 3339 as sent

    bool IsLocal() const { return type == "notice" || type == "gap"; }
    bool IsPresence() const { return type == "join" || type == "leave"; }
};

struct RoomInfo {
    std::string id;
    std::string name;
    std::string time_created;
};

/// What login and refresh answer.
struct TokenPair {
    std::string nickname;
    std::string user_id;
    std::string access_token;
    std::string refresh_token;
};

/// One text frame of the room socket: a message, or an error meant for this client only.
struct RoomFrame {
    std::optional<ChatMessage> message;
    std::optional<std::string> error;  // {"type":"error","message":...}
};

std::optional<ChatMessage> ParseMessage(std::string_view json);
/// The first frame of a room socket: an array of messages, newest first. `null` (a Go nil slice) is [].
std::optional<std::vector<ChatMessage>> ParseMessageList(std::string_view json);
std::optional<RoomFrame> ParseRoomFrame(std::string_view json);
std::optional<std::vector<RoomInfo>> ParseRooms(std::string_view json);
std::optional<RoomInfo> ParseRoom(std::string_view json);
/// GET /chat/rooms/{id}/clients: the nicknames, in the server's order.
std::optional<std::vector<std::string>> ParseClients(std::string_view json);
std::optional<TokenPair> ParseTokenPair(std::string_view json);
/// The "message" of an error body; the body itself (shortened) when it is not one.
std::string ParseErrorMessage(std::string_view body);

std::string CredentialsJson(std::string_view nickname, std::string_view password);
std::string RefreshTokenJson(std::string_view refresh_token);
std::string RoomNameJson(std::string_view name);

}  // namespace rooms::client
