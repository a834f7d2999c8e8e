#pragma once

#include <memory>
#include <string>

#include "domain/ports.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/connection_caps.h"
#include "http/rate_limiter.h"
#include "http/room_hub.h"
#include "http/send_queue.h"
#include "services/chat_service.h"

namespace rooms {

struct WebSocketOptions {
    std::size_t max_frame_bytes = 64 * 1024;
    std::size_t send_queue_messages = 1024;
    std::chrono::seconds ping_interval{30};
};

/// What a room WebSocket needs from the rest of the process.
struct WebSocketDeps {
    RoomHub& hub;
    ChatService& chat;
    Presence& presence;
    asio::thread_pool& store_pool;
    ConnectionRegistry& registry;
    WebSocketOptions options;
    ConnectionCaps& caps;        // connections per IP and per user
    RateLimiter& user_messages;  // messages per user, keyed by user id
};

/// One client in one room. Its reader validates and publishes what the client sends; its single writer
/// drains a bounded SendQueue fed by the hub. Both run as coroutines on the connection's strand.
class WebSocketSession : public HubMember, public Connection, public std::enable_shared_from_this<WebSocketSession> {
  public:
    WebSocketSession(beast::tcp_stream stream, WebSocketDeps deps, Principal who, RoomId room,
                     ConnectionId connection_id, std::string client_ip);

    /// Completes the upgrade and serves the client until the connection ends.
    asio::awaitable<void> Run(Request request);

    bool Deliver(const OutboundFrame& frame) override;
    void Shutdown() override;
    void Abort() override;

  private:
    asio::awaitable<void> ReadLoop();
    asio::awaitable<void> WriteLoop();
    /// Sends a close frame with `code` (after the write in flight); the socket is cut if it takes longer
    /// than a few seconds. Runs on the strand.
    void CloseWith(websocket::close_code code, std::string reason);
    void Enqueue(OutboundFrame frame);
    void WakeWriter();

    websocket::stream<beast::tcp_stream> ws_;
    WebSocketDeps deps_;
    const Principal who_;
    const RoomId room_;
    const ConnectionId connection_id_;
    const std::string client_ip_;
    const std::string user_key_;  // this user's bucket in deps_.user_messages

    SendQueue queue_;
    asio::steady_timer wake_;  // the idle writer waits on it; cancel() wakes it
    asio::steady_timer close_deadline_;
    bool closing_ = false;        // strand only
    std::uint64_t received_ = 0;  // strand only
};

}  // namespace rooms
