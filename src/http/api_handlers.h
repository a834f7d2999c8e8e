#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/asio.h"
#include "http/json_codec.h"
#include "http/router.h"
#include "metrics/metrics.h"
#include "services/auth_service.h"
#include "services/chat_service.h"
#include "services/room_service.h"

namespace rooms {

/// What the handlers bound (chat.rooms_page_max, http.gzip_min_bytes).
struct ApiLimits {
    int rooms_page_max = 1000;
    std::int64_t gzip_min_bytes = 1024;
};

/// The password-hash pool's queue: register and login wait there for a thread that runs Argon2id.
struct HashPoolMetrics {
    Gauge queued;    // calls waiting for a hash thread
    Histogram wait;  // how long each waited
    static HashPoolMetrics From(Metrics& metrics);
};

/// The REST API of spec/API.md. Blocking service calls run on the pools, never on the I/O threads.
class ApiHandlers {
  public:
    ApiHandlers(AuthService& auth, RoomService& rooms, ChatService& chat, asio::thread_pool& store_pool,
                asio::thread_pool& hash_pool, ApiLimits limits = {}, HashPoolMetrics hash_metrics = {});

    /// Adds every route of the API, including the room WebSocket route (upgraded by the dispatcher). The probes
    /// (/healthz, /readyz) are http/probes.h's.
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
    /// Runs `fn` (a call that hashes a password) on the hash pool, counting it while it waits there.
    template <typename Fn>
    asio::awaitable<std::invoke_result_t<Fn>> OnHashPool(Fn fn);
    /// 200 with `body`, gzip-compressed when it is large and the client accepts it.
    Response Ok(const RequestContext& ctx, const json::value& body) const;

    AuthService& auth_;
    RoomService& rooms_;
    ChatService& chat_;
    asio::thread_pool& store_pool_;
    asio::thread_pool& hash_pool_;
    const ApiLimits limits_;
    const HashPoolMetrics hash_metrics_;
};

}  // namespace rooms
