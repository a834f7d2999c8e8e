#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/asio.h"
#include "http/router.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/room_service.h"

namespace rooms {

/// A readiness check: nullopt when fine, else why not. May block (runs on a worker). A check that is not
/// `required` guards something the process works without (e.g. presence): failing, it degrades readiness
/// instead of failing it.
struct ReadinessCheck {
    std::string name;
    std::function<std::optional<std::string>()> check;
    bool required = true;
};

/// What the checks found: "name: why; ..." of the failed required and optional checks, "" when none.
struct Readiness {
    std::string problems;
    std::string degraded;
};

/// Runs every check (blocking).
Readiness CheckReadiness(const std::vector<ReadinessCheck>& checks);
/// 503 {"message":"not ready: <problems>"}, 200 {"status":"degraded","degraded":"<what>"} or
/// 200 {"status":"ready"}.
Response ReadinessResponse(const Readiness& readiness);

/// The REST API of spec/API.md. Blocking service calls run on the pools, never on the I/O threads.
class ApiHandlers {
  public:
    ApiHandlers(AuthService& auth, RoomService& rooms, ChatService& chat, asio::thread_pool& store_pool,
                asio::thread_pool& hash_pool, std::vector<ReadinessCheck> readiness);

    /// Adds every route, including the room WebSocket route (upgraded by the server).
    void Register(Router& router);

  private:
    asio::awaitable<Response> RegisterUser(RequestContext& ctx);
    asio::awaitable<Response> Login(RequestContext& ctx);
    asio::awaitable<Response> Refresh(RequestContext& ctx);
    asio::awaitable<Response> Logout(RequestContext& ctx);
    asio::awaitable<Response> CreateRoom(RequestContext& ctx);
    asio::awaitable<Response> ListRooms(RequestContext& ctx);
    asio::awaitable<Response> Clients(RequestContext& ctx);
    asio::awaitable<Response> Messages(RequestContext& ctx);
    asio::awaitable<Response> RoomWithoutUpgrade(RequestContext& ctx);
    asio::awaitable<Response> Health(RequestContext& ctx);
    asio::awaitable<Response> Ready(RequestContext& ctx);

    AuthService& auth_;
    RoomService& rooms_;
    ChatService& chat_;
    asio::thread_pool& store_pool_;
    asio::thread_pool& hash_pool_;
    std::vector<ReadinessCheck> readiness_;
};

}  // namespace rooms
