#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client/transport.h"
#include "client/wire.h"

namespace rooms::client {

/// The answer of one API call: the parsed value on 200, else the status and the server's reason.
template <typename T>
struct ApiResult {
    int status = 0;  // 0: no answer (`error` says why)
    std::optional<T> value;
    std::string error;  // the server's {"message"}, a transport error, or "unexpected answer"

    bool ok() const { return value.has_value(); }
    bool unauthorized() const { return status == 401; }
    /// No answer or a 5xx: worth trying again later, unlike a 4xx.
    bool transient() const { return status == 0 || status >= 500 || status == 429; }
};

struct Done {};

/// The public API (docs/API.md) as typed calls: every path under `api_prefix` ("" or e.g. "/api"). Knows
/// nothing of sessions: the calls of /chat/* take the access token. Use from the transport's executor.
class ApiClient {
  public:
    ApiClient(Transport& transport, std::string api_prefix);

    /// Where the API answers on this server: "" when GET /chat/rooms without a token is 401 there, else
    /// "/api" when it is 401 under /api (nginx in front of the seed's or our gateways), else nullopt with
    /// `error` saying what was tried.
    static boost::asio::awaitable<std::optional<std::string>> DetectPrefix(Transport& transport, std::string& error);

    boost::asio::awaitable<ApiResult<Done>> Register(std::string nickname, std::string password);
    boost::asio::awaitable<ApiResult<TokenPair>> Login(std::string nickname, std::string password);
    boost::asio::awaitable<ApiResult<TokenPair>> Refresh(std::string refresh_token);
    boost::asio::awaitable<ApiResult<Done>> Logout(std::string refresh_token);

    boost::asio::awaitable<ApiResult<std::vector<RoomInfo>>> Rooms(std::string access_token);
    boost::asio::awaitable<ApiResult<RoomInfo>> CreateRoom(std::string access_token, std::string name);
    boost::asio::awaitable<ApiResult<std::vector<std::string>>> Clients(std::string access_token, std::string room_id);
    /// Scroll-back, newest first: at most `limit` messages older than `before_id` (the newest page when
    /// empty). The seed's server has no such endpoint (404).
    boost::asio::awaitable<ApiResult<std::vector<ChatMessage>>> Messages(std::string access_token, std::string room_id,
                                                                         std::string before_id, int limit);
    /// The room's WebSocket (first frame: its history, newest first).
    boost::asio::awaitable<OpenedSocket> OpenRoom(std::string access_token, std::string room_id);

    const std::string& api_prefix() const { return prefix_; }

  private:
    Transport& transport_;
    std::string prefix_;
};

}  // namespace rooms::client
