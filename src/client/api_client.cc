#include "client/api_client.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace rooms::client {

namespace asio = boost::asio;

namespace {

std::string Encode(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

/// Maps a reply to a result: `parse` reads a 200 body; anything else keeps the status and the reason.
template <typename T, typename Parse>
ApiResult<T> ToResult(const HttpReply& reply, Parse parse) {
    ApiResult<T> result;
    result.status = reply.status;
    if (reply.status == 0) {
        result.error = reply.error;
    } else if (reply.status == 200) {
        result.value = parse(reply.body);
        if (!result.value) result.error = "unexpected answer from the server";
    } else {
        result.error = ParseErrorMessage(reply.body);
        if (result.error.empty()) result.error = "HTTP " + std::to_string(reply.status);
    }
    return result;
}

ApiResult<Done> ToDone(const HttpReply& reply) {
    return ToResult<Done>(reply, [](const std::string&) { return std::optional<Done>(Done{}); });
}

}  // namespace

ApiClient::ApiClient(Transport& transport, std::string api_prefix)
    : transport_(transport), prefix_(transport.url().path_prefix + std::move(api_prefix)) {}

asio::awaitable<std::optional<std::string>> ApiClient::DetectPrefix(Transport& transport, std::string& error) {
    static constexpr const char* kCandidates[] = {"", "/api"};
    std::string tried;
    for (const std::string candidate : kCandidates) {
        const std::string path = transport.url().path_prefix + candidate + "/chat/rooms";
        HttpReply reply = co_await transport.Request("GET", path, "", "");
        if (reply.status == 401) co_return candidate;
        if (reply.status == 0) {
            error = "cannot reach " + transport.url().Canonical() + ": " + reply.error;
            co_return std::nullopt;
        }
        tried += (tried.empty() ? "" : ", ") + path + " answered " + std::to_string(reply.status);
    }
    error = "no Rooms API found (" + tried + "); give the API's root in the URL or --api-prefix";
    co_return std::nullopt;
}

asio::awaitable<ApiResult<Done>> ApiClient::Register(std::string nickname, std::string password) {
    co_return ToDone(
        co_await transport_.Request("POST", prefix_ + "/user/register", CredentialsJson(nickname, password), ""));
}

asio::awaitable<ApiResult<TokenPair>> ApiClient::Login(std::string nickname, std::string password) {
    auto reply = co_await transport_.Request("POST", prefix_ + "/user/login", CredentialsJson(nickname, password), "");
    co_return ToResult<TokenPair>(reply, ParseTokenPair);
}

asio::awaitable<ApiResult<TokenPair>> ApiClient::Refresh(std::string refresh_token) {
    auto reply = co_await transport_.Request("POST", prefix_ + "/user/refresh", RefreshTokenJson(refresh_token), "");
    co_return ToResult<TokenPair>(reply, ParseTokenPair);
}

asio::awaitable<ApiResult<Done>> ApiClient::Logout(std::string refresh_token) {
    co_return ToDone(
        co_await transport_.Request("POST", prefix_ + "/user/logout", RefreshTokenJson(refresh_token), ""));
}

asio::awaitable<ApiResult<std::vector<RoomInfo>>> ApiClient::Rooms(std::string access_token) {
    auto reply = co_await transport_.Request("GET", prefix_ + "/chat/rooms", "", access_token);
    co_return ToResult<std::vector<RoomInfo>>(reply, ParseRooms);
}

asio::awaitable<ApiResult<RoomInfo>> ApiClient::CreateRoom(std::string access_token, std::string name) {
    auto reply = co_await transport_.Request("POST", prefix_ + "/chat/rooms", RoomNameJson(name), access_token);
    co_return ToResult<RoomInfo>(reply, ParseRoom);
}

asio::awaitable<ApiResult<std::vector<std::string>>> ApiClient::Clients(std::string access_token, std::string room_id) {
    auto reply =
        co_await transport_.Request("GET", prefix_ + "/chat/rooms/" + Encode(room_id) + "/clients", "", access_token);
    co_return ToResult<std::vector<std::string>>(reply, ParseClients);
}

asio::awaitable<ApiResult<std::vector<ChatMessage>>> ApiClient::Messages(std::string access_token, std::string room_id,
                                                                         std::string before_id, int limit) {
    std::string target = prefix_ + "/chat/rooms/" + Encode(room_id) + "/messages?limit=" + std::to_string(limit);
    if (!before_id.empty()) target += "&before=" + Encode(before_id);
    auto reply = co_await transport_.Request("GET", target, "", access_token);
    co_return ToResult<std::vector<ChatMessage>>(reply, ParseMessageList);
}

asio::awaitable<OpenedSocket> ApiClient::OpenRoom(std::string access_token, std::string room_id) {
    co_return co_await transport_.OpenWebSocket(prefix_ + "/chat/rooms/" + Encode(room_id), access_token);
}

}  // namespace rooms::client
