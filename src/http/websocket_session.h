#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/settings.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/connection_caps.h"
#include "http/router.h"
#include "http/send_queue.h"
#include "http/transport.h"
#include "http/ws_frames.h"
#include "metrics/metrics.h"
#include "services/chat_session.h"
#include "services/room_hub.h"
#include "services/session_registry.h"

namespace rooms {

/// What the room WebSockets count (docs/OBSERVABILITY.md). Default: counts nothing.
struct WebSocketMetrics {
    Gauge open;               // rooms_websocket_connections: room sockets past the caps, until they end
    Counter frames_sent;      // rooms_websocket_frames_sent_total: queued frames handed to the socket
    Counter queue_overflows;  // rooms_websocket_send_queue_overflows_total: slow clients given up
    CounterFamily closes;     // rooms_websocket_closes_total{code}: how sockets ended
    static WebSocketMetrics From(Metrics& metrics);
};

/// The `code` label of a socket that ended with `code`: the number for the codes of RFC 6455 §7.4.1 this server
/// knows, "none" when it ended without a close frame, "other" for any other code a peer sent.
std::string CloseCodeLabel(WsCloseCode code);

/// What every room WebSocket of a gateway shares.
struct WebSocketDeps {
    ChatSessionDeps chat;
    asio::thread_pool& store_pool;  // the blocking calls of ChatSession run here
    ConnectionRegistry& registry;
    ConnectionCaps& caps;          // connections per IP and per user
    SessionRegistry& sessions;     // closes the sockets of a revoked login session
    const ChatSettings& settings;  // max_frame_bytes, send_queue_messages, ping_interval_s
    WebSocketMetrics metrics = {};
};

/// The transport of one client in one room: the WebSocket handshake (Beast's), the connection caps, the history
/// frame, then RFC 6455 framing of its own over the socket. The reader hands every text message to the ChatSession;
/// the writer sends everything that is waiting — control frames first, then every queued frame — in one gather
/// write, so a busy connection costs one system call per batch instead of one per frame (one message per frame on
/// the wire all the same). Everything runs on the connection's strand; the hub only pushes to the SendQueue and
/// posts one wake-up when the writer is idle. What the frames mean is ChatSession's business.
///
/// The socket lives only as long as its login session: it closes with 4001 (kSessionEnded) "token expired" when the
/// access token it was opened with expires, and "session revoked" when the SessionRegistry reports the session
/// revoked (a logout or a replayed refresh token, on any gateway).
class WebSocketSession : public HubMember,
                         public Connection,
                         public SessionWatcher,
                         public std::enable_shared_from_this<WebSocketSession> {
  public:
    /// `trace`: the handshake's trace context (its `traceparent`); every message's span is its child.
    WebSocketSession(Transport transport, WebSocketDeps deps, Principal who, RoomId room, ConnectionId connection_id,
                     std::string client_ip, TraceContext trace = {});

    /// Completes the upgrade and serves the client until the connection ends.
    asio::awaitable<void> Run(Request request);

    bool Deliver(const OutboundFrame& frame) override;
    void Discard(const std::unordered_set<MessageId>& ids) override { queue_.Discard(ids); }
    void Shutdown() override;
    void Abort() override;
    void OnSessionRevoked() override;

  private:
    asio::awaitable<bool> Handshake(Request request);
    /// Reads frames until the connection ends; after a close (ours or the peer's) it reads on only to see the end.
    asio::awaitable<void> ReadLoop();
    void OnEvent(WsEvent& event);

    /// Starts a write of everything pending unless one is in flight or the writer has not started. Strand only.
    void Flush();
    void OnWritten(const beast::error_code& ec);
    /// A ping or pong for the next write (none after the close).
    void QueueControl(WsOpcode opcode, std::string_view payload);
    /// Starts the closing handshake with `code`: the queue is dropped, the close frame goes next, and the socket is
    /// cut if the peer has not ended the connection within a few seconds. Strand only.
    void CloseWith(WsCloseCode code, std::string_view reason);
    /// Half-closes once both close frames have passed (or the peer broke the protocol), so the peer sees the end.
    void FinishClosing();
    void Cut();
    /// Closes with 4001 "token expired" at the access token's `exp`. Strand only.
    void ArmTokenExpiry();
    void ArmKeepAlive();
    void OnKeepAlive();
    void SendError(std::string_view message);

    Transport transport_;  // plain TCP or TLS
    WebSocketDeps deps_;
    ChatSession chat_;
    const std::string client_ip_;
    SendQueue queue_;
    asio::steady_timer timer_;        // keep-alive ticks while open, the closing deadline after
    asio::steady_timer token_timer_;  // the access token's expiry

    // Strand only.
    std::vector<OutboundFrame> batch_;  // taken from the queue for the next write
    std::string out_;                   // the bytes of the write in flight
    std::string control_;               // control frames for the next write
    std::uint64_t received_ = 0;
    WsCloseCode close_code_ = WsCloseCode::kNone;  // what the log reports
    bool started_ = false;                         // the history frame has gone: the writer may send
    bool writing_ = false;
    bool close_queued_ = false;     // our close frame is in control_, in flight or sent
    bool close_in_flight_ = false;  // ...in the write in flight
    bool close_sent_ = false;
    bool peer_closed_ = false;
    bool failed_ = false;  // the peer broke the protocol: no closing handshake to wait for
    bool cut_ = false;
    bool read_since_tick_ = false;
    bool pinged_ = false;
};

/// The gateway's room WebSockets: the Dispatcher's WebSocketUpgrade for the room route. Names each connection
/// "<node id>:<counter>" (presence keys it so across gateways).
class RoomSockets {
  public:
    RoomSockets(WebSocketDeps deps, int node_id) : deps_(deps), node_id_(node_id) {}

    /// Starts the room socket on the stream's strand, apart from the request's coroutines: an idle socket holds its
    /// session and two coroutine frames (Run, ReadLoop), not the HTTP session's, the dispatcher's and the request.
    void Upgrade(Transport stream, Request request, RequestContext& ctx);

  private:
    WebSocketDeps deps_;
    const int node_id_;
    std::atomic<std::uint64_t> next_connection_{0};
};

}  // namespace rooms
