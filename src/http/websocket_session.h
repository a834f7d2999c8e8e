#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/settings.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/connection_caps.h"
#include "http/router.h"
#include "http/send_queue.h"
#include "http/transport.h"
#include "services/chat_session.h"
#include "services/room_hub.h"

namespace rooms {

/// What every room WebSocket of a gateway shares.
struct WebSocketDeps {
    ChatSessionDeps chat;
    asio::thread_pool& store_pool;  // the blocking calls of ChatSession run here
    ConnectionRegistry& registry;
    ConnectionCaps& caps;          // connections per IP and per user
    const ChatSettings& settings;  // max_frame_bytes, send_queue_messages, ping_interval_s
};

/// The transport of one client in one room: the WebSocket handshake, the connection caps, the history frame, then
/// its reader hands every text frame to the ChatSession and its single writer drains a bounded SendQueue fed by
/// the hub. Both run as coroutines on the connection's strand. What the frames mean is ChatSession's business.
class WebSocketSession : public HubMember, public Connection, public std::enable_shared_from_this<WebSocketSession> {
  public:
    WebSocketSession(Transport stream, WebSocketDeps deps, Principal who, RoomId room,
                     ConnectionId connection_id, std::string client_ip);

    /// Completes the upgrade and serves the client until the connection ends.
    asio::awaitable<void> Run(Request request);

    bool Deliver(const OutboundFrame& frame) override;
    void Discard(const std::unordered_set<MessageId>& ids) override { queue_.Discard(ids); }
    void Shutdown() override;
    void Abort() override;

  private:
    asio::awaitable<void> ReadLoop();
    asio::awaitable<void> WriteLoop();
    /// Sends a close frame with `code` (after the write in flight); the socket is cut if it takes longer than a few
    /// seconds. Runs on the strand.
    void CloseWith(websocket::close_code code, const std::string& reason);
    void SendError(std::string_view message);
    void WakeWriter();

    websocket::stream<Transport> ws_;
    WebSocketDeps deps_;
    ChatSession chat_;
    const std::string client_ip_;

    SendQueue queue_;
    asio::steady_timer wake_;  // the idle writer waits on it; cancel() wakes it
    asio::steady_timer close_deadline_;
    bool closing_ = false;        // strand only
    std::uint64_t received_ = 0;  // strand only
};

/// The gateway's room WebSockets: the Dispatcher's WebSocketUpgrade for the room route. Names each connection
/// "<node id>:<counter>" (presence keys it so across gateways).
class RoomSockets {
  public:
    RoomSockets(WebSocketDeps deps, int node_id) : deps_(deps), node_id_(node_id) {}

    asio::awaitable<void> Upgrade(Transport stream, Request request, RequestContext& ctx);

  private:
    WebSocketDeps deps_;
    const int node_id_;
    std::atomic<std::uint64_t> next_connection_{0};
};

}  // namespace rooms
