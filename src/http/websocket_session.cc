#include "http/websocket_session.h"

#include <spdlog/spdlog.h>

#include "http/json_codec.h"

namespace rooms {

namespace {
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kCloseGrace = std::chrono::seconds(5);
// A client whose queue overflowed is not reading: its close frame waits behind a stuck write, so do not wait long
// for it.
constexpr auto kOverflowCloseGrace = std::chrono::milliseconds(500);
// The smallest read; a frame whose header says it is longer gets a buffer its size.
constexpr std::size_t kReadChunk = 1024;
// A buffer larger than this is given back once empty, so an idle connection holds little.
constexpr std::size_t kKeepBufferBytes = 4096;

}  // namespace

WebSocketMetrics WebSocketMetrics::From(Metrics& metrics) {
    return WebSocketMetrics{
        metrics.AddGauge("rooms_websocket_connections", "Open room WebSockets."),
        metrics.AddCounter("rooms_websocket_frames_sent_total",
                           "Frames from the send queues (messages, notices, errors) written to room WebSockets."),
        metrics.AddCounter("rooms_websocket_send_queue_overflows_total",
                           "Room WebSockets closed because their send queue was full (the client read too slowly)."),
        metrics.Counters("rooms_websocket_closes_total", "Room WebSockets ended, by close code."),
    };
}

std::string CloseCodeLabel(WsCloseCode code) {
    switch (code) {
        case WsCloseCode::kNone:
            return "none";
        case WsCloseCode::kNormal:
        case WsCloseCode::kGoingAway:
        case WsCloseCode::kProtocolError:
        case WsCloseCode::kUnsupportedData:
        case WsCloseCode::kInvalidPayload:
        case WsCloseCode::kPolicyViolation:
        case WsCloseCode::kMessageTooBig:
        case WsCloseCode::kInternalError:
        case WsCloseCode::kSessionEnded:
            return std::to_string(static_cast<int>(code));
    }
    return "other";
}

WebSocketSession::WebSocketSession(Transport transport, WebSocketDeps deps, Principal who, RoomId room,
                                   ConnectionId connection_id, std::string client_ip, TraceContext trace)
    : transport_(std::move(transport)),
      deps_(deps),
      chat_(deps.chat, room, std::move(who), std::move(connection_id), trace),
      client_ip_(std::move(client_ip)),
      queue_(static_cast<std::size_t>(deps.settings.send_queue_messages)),
      timer_(transport_.get_executor()),
      token_timer_(transport_.get_executor()) {}

asio::awaitable<bool> WebSocketSession::Handshake(Request request) {
    // Beast answers the upgrade (or refuses it with the HTTP error a client expects); the frames are ours after.
    transport_.tcp().expires_never();  // the HTTP session's request timeout is over; pings watch from here
    websocket::stream<Transport&, false> ws(transport_);
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = kHandshakeTimeout;
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "rooms"); }));
    auto [ec] = co_await ws.async_accept(request, asio::as_tuple(asio::use_awaitable));
    if (ec)
        spdlog::info("ws {} room={} user={} handshake failed: {}", client_ip_, chat_.room(), chat_.who().user_id,
                     ec.message());
    co_return !ec;
}

asio::awaitable<void> WebSocketSession::Run(Request request) {
    auto self = shared_from_this();
    const RoomId room = chat_.room();
    const UserId user = chat_.who().user_id;
    const ConnectionId& conn = chat_.connection();
    if (!co_await Handshake(std::move(request))) co_return;

    // Over a cap the client still gets a WebSocket, to read the reason from its close frame (browsers see no HTTP
    // status of a refused handshake).
    if (auto why = deps_.caps.Acquire(client_ip_, user)) {
        spdlog::info("ws {} room={} user={} refused: {}", client_ip_, room, user, *why);
        started_ = true;
        CloseWith(WsCloseCode::kPolicyViolation, *why);
        co_await ReadLoop();
        timer_.cancel();
        deps_.metrics.closes.With({{"code", CloseCodeLabel(close_code_)}}).Inc();
        co_return;
    }
    struct CapsRelease {
        WebSocketSession& s;
        UserId user;
        ~CapsRelease() { s.deps_.caps.Release(s.client_ip_, user); }
    } caps_release{*this, user};
    ConnectionGuard registered(deps_.registry, weak_from_this());
    struct OpenCount {
        const Gauge& open;
        explicit OpenCount(const Gauge& g) : open(g) { open.Inc(); }
        ~OpenCount() { open.Dec(); }
        OpenCount(const OpenCount&) = delete;
        OpenCount& operator=(const OpenCount&) = delete;
    } counted(deps_.metrics.open);
    const std::string& session = chat_.who().session;
    if (!session.empty() && !deps_.sessions.Watch(session, self)) {
        spdlog::info("ws {} room={} user={} refused: session revoked", client_ip_, room, user);
        started_ = true;
        CloseWith(WsCloseCode::kSessionEnded, "session revoked");
        co_await ReadLoop();
        timer_.cancel();
        deps_.metrics.closes.With({{"code", CloseCodeLabel(close_code_)}}).Inc();
        co_return;
    }
    struct Unwatch {
        WebSocketSession& s;
        ~Unwatch() {
            if (!s.chat_.who().session.empty()) s.deps_.sessions.Unwatch(s.chat_.who().session, &s);
        }
    } unwatch{*this};
    spdlog::info("ws open {} room={} user={} conn={}", client_ip_, room, user, conn);

    try {
        {
            const auto history = co_await RunBlocking(deps_.store_pool, [&] { return chat_.Enter(self); });
            AppendWsFrame(out_, WsOpcode::kText, SerializeHistory(history));
        }  // the messages are not kept for the socket's life; nor is the frame, once written
        auto [wec, n] = co_await asio::async_write(transport_, asio::buffer(out_), asio::as_tuple(asio::use_awaitable));
        std::string().swap(out_);
        if (!wec && !cut_) {
            co_await RunBlocking(deps_.store_pool, [&] { chat_.Announce(); });
            started_ = true;
            ArmKeepAlive();
            ArmTokenExpiry();
            Flush();  // what the hub queued meanwhile, and a close asked for meanwhile
            co_await ReadLoop();
        }
    } catch (const std::exception& e) {
        spdlog::error("ws room={} conn={}: {}", room, conn, e.what());
    }

    queue_.Close();
    timer_.cancel();
    token_timer_.cancel();
    try {
        co_await RunBlocking(deps_.store_pool, [&] { chat_.Leave(); });
    } catch (const std::exception& e) {
        spdlog::error("ws room={} conn={}: leaving: {}", room, conn, e.what());
    }
    spdlog::info("ws close {} room={} user={} conn={} code={} received={}{}", client_ip_, room, user, conn,
                 static_cast<int>(close_code_), received_, queue_.overflowed() ? " (send queue overflow)" : "");
    deps_.metrics.closes.With({{"code", CloseCodeLabel(close_code_)}}).Inc();
    Cut();
}

asio::awaitable<void> WebSocketSession::ReadLoop() {
    WsFrameParser parser(static_cast<std::size_t>(deps_.settings.max_frame_bytes));
    beast::flat_buffer buffer;
    // Over plain TCP an idle socket holds no read buffer: it waits for bytes first and takes a buffer for them only.
    // (Over TLS the stream may hold decrypted bytes the socket no longer shows, so it reads at once.)
    const bool wait_first = !transport_.secure();
    for (;;) {
        if (!peer_closed_ && !failed_) {
            const auto* bytes = static_cast<const char*>(buffer.data().data());
            std::string_view data(bytes, buffer.size());
            for (;;) {
                WsEvent event = parser.Next(data);
                if (event.kind == WsEvent::Kind::kNeedMore) break;
                OnEvent(event);
                if (peer_closed_ || failed_) break;  // nothing after a close or an error is read
            }
            buffer.consume(buffer.size() - data.size());
        } else {
            buffer.consume(buffer.size());
        }
        if (buffer.size() == 0 && (wait_first || buffer.capacity() > kKeepBufferBytes)) buffer.shrink_to_fit();
        if (wait_first && buffer.size() == 0) {
            auto [ec] = co_await transport_.tcp().socket().async_wait(tcp::socket::wait_read,
                                                                      asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (ec != asio::error::operation_aborted)
                    spdlog::debug("ws conn={} read ended: {}", chat_.connection(), ec.message());
                co_return;
            }
        }
        const std::size_t need = parser.frame_bytes() > buffer.size() ? parser.frame_bytes() - buffer.size() : 0;
        auto [ec, n] = co_await transport_.async_read_some(buffer.prepare(std::max(need, kReadChunk)),
                                                           asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec != asio::error::eof && ec != asio::error::operation_aborted)
                spdlog::debug("ws conn={} read ended: {}", chat_.connection(), ec.message());
            co_return;
        }
        buffer.commit(n);
        read_since_tick_ = true;
    }
}

void WebSocketSession::OnEvent(WsEvent& event) {
    switch (event.kind) {
        case WsEvent::Kind::kNeedMore:
        case WsEvent::Kind::kPong:
            return;
        case WsEvent::Kind::kPing:
            QueueControl(WsOpcode::kPong, event.payload);
            return;
        case WsEvent::Kind::kBinary:
            CloseWith(WsCloseCode::kUnsupportedData, "binary frames are not supported");
            return;
        case WsEvent::Kind::kError:
            spdlog::debug("ws conn={}: {}", chat_.connection(), event.payload);
            failed_ = true;
            CloseWith(event.code, event.payload);
            return;
        case WsEvent::Kind::kClose:
            peer_closed_ = true;
            if (!close_queued_) {
                CloseWith(event.code, event.payload);  // the echo (§5.5.1)
            } else if (close_sent_) {
                FinishClosing();
            }
            return;
        case WsEvent::Kind::kText:
            break;
    }
    if (close_queued_) return;  // closing: messages are no longer taken
    ++received_;
    std::weak_ptr<WebSocketSession> weak = weak_from_this();
    auto refused = chat_.Send(std::move(event.payload), [weak](const Error& err) {
        if (auto self = weak.lock()) self->SendError(err.message);
    });
    if (refused) SendError(refused->message);
}

void WebSocketSession::Flush() {
    if (writing_ || !started_ || cut_) return;
    out_.clear();
    if (!close_queued_ && queue_.TakeAll(batch_)) {
        // Pings and pongs first, then the frames in queue order.
        out_.swap(control_);
        for (const auto& frame : batch_) AppendWsFrame(out_, WsOpcode::kText, *frame.data);
        deps_.metrics.frames_sent.Inc(static_cast<double>(batch_.size()));
        batch_.clear();
    } else {
        out_.swap(control_);
        close_in_flight_ = close_queued_ && !close_sent_ && !out_.empty();
    }
    if (out_.empty()) {  // idle: give the burst's buffers back
        if (out_.capacity() > kKeepBufferBytes) std::string().swap(out_);
        if (control_.capacity() > kKeepBufferBytes) std::string().swap(control_);
        if (batch_.capacity() > 64) std::vector<OutboundFrame>().swap(batch_);
        return;
    }
    writing_ = true;
    asio::async_write(transport_, asio::buffer(out_),
                      [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->OnWritten(ec); });
}

void WebSocketSession::OnWritten(const beast::error_code& ec) {
    writing_ = false;
    if (ec) {
        Cut();
        return;
    }
    if (close_in_flight_) {
        close_in_flight_ = false;
        close_sent_ = true;
        if (peer_closed_ || failed_) FinishClosing();
        return;  // nothing follows a close frame
    }
    Flush();
}

void WebSocketSession::QueueControl(WsOpcode opcode, std::string_view payload) {
    if (close_queued_) return;
    AppendWsFrame(control_, opcode, payload);
    Flush();
}

void WebSocketSession::CloseWith(WsCloseCode code, std::string_view reason) {
    if (close_queued_ || cut_) return;
    close_queued_ = true;
    close_code_ = code;
    queue_.Close();
    AppendWsFrame(control_, WsOpcode::kClose, WsClosePayload(code, reason));
    timer_.expires_after(queue_.overflowed() ? kOverflowCloseGrace : kCloseGrace);
    timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
        if (!ec) self->Cut();  // the peer did not let the close through, or did not end the connection
    });
    Flush();
}

void WebSocketSession::FinishClosing() {
    beast::error_code ignored;
    transport_.tcp().socket().shutdown(tcp::socket::shutdown_send,
                                       ignored);  // the reader sees the peer's end, or the deadline cuts
}

void WebSocketSession::Cut() {
    if (cut_) return;
    cut_ = true;
    transport_.Close();
}

void WebSocketSession::ArmTokenExpiry() {
    const TimePoint expires_at = chat_.who().expires_at;
    if (expires_at == TimePoint{}) return;  // unknown: only a revocation ends the socket
    const auto left = expires_at - std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now());
    token_timer_.expires_after(std::max(left, decltype(left)::zero()));
    token_timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
        if (ec) return;
        spdlog::info("ws conn={} user={}: access token expired, closing", self->chat_.connection(),
                     self->chat_.who().user_id);
        self->CloseWith(WsCloseCode::kSessionEnded, "token expired");
    });
}

void WebSocketSession::OnSessionRevoked() {
    asio::post(transport_.get_executor(), [self = shared_from_this()] {
        spdlog::info("ws conn={} user={}: session revoked, closing", self->chat_.connection(),
                     self->chat_.who().user_id);
        self->CloseWith(WsCloseCode::kSessionEnded, "session revoked");
    });
}

void WebSocketSession::ArmKeepAlive() {
    timer_.expires_after(std::chrono::seconds(deps_.settings.ping_interval_s));
    timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
        if (!ec) self->OnKeepAlive();
    });
}

// A connection that sent nothing for a ping interval is pinged; one that answers nothing for another is dropped.
void WebSocketSession::OnKeepAlive() {
    if (close_queued_ || cut_) return;  // the timer is the closing deadline now
    if (read_since_tick_) {
        read_since_tick_ = false;
        pinged_ = false;
    } else if (!pinged_) {
        pinged_ = true;
        QueueControl(WsOpcode::kPing, {});
    } else {
        spdlog::info("ws conn={} user={}: no answer to a ping, dropping the connection", chat_.connection(),
                     chat_.who().user_id);
        Cut();
        return;
    }
    ArmKeepAlive();
}

bool WebSocketSession::Deliver(const OutboundFrame& frame) {
    switch (queue_.Push(frame)) {
        case SendQueue::PushResult::kQueued:
            return true;
        case SendQueue::PushResult::kWakeWriter:
            asio::post(transport_.get_executor(), [self = shared_from_this()] { self->Flush(); });
            return true;
        case SendQueue::PushResult::kOverflow:
            deps_.metrics.queue_overflows.Inc();
            spdlog::warn("ws conn={} user={}: send queue full, disconnecting the slow client", chat_.connection(),
                         chat_.who().user_id);
            asio::post(transport_.get_executor(), [self = shared_from_this()] {
                self->CloseWith(WsCloseCode::kPolicyViolation, "send queue full: the client reads too slowly");
            });
            return false;
        case SendQueue::PushResult::kClosed:
            break;
    }
    return false;
}

void WebSocketSession::SendError(std::string_view message) {
    (void)Deliver({std::make_shared<const std::string>(SerializeWsError(message)), 0});
}

void WebSocketSession::Shutdown() {
    asio::post(transport_.get_executor(),
               [self = shared_from_this()] { self->CloseWith(WsCloseCode::kGoingAway, "server shutting down"); });
}

void WebSocketSession::Abort() {
    asio::post(transport_.get_executor(), [self = shared_from_this()] { self->Cut(); });
}

void RoomSockets::Upgrade(Transport stream, Request request, RequestContext& ctx) {
    const ConnectionId id = std::to_string(node_id_) + ":" + std::to_string(++next_connection_);
    // MeteredHandler put the handshake's own span in the traceparent header.
    const TraceContext trace = TraceContext::Parse(request[kTraceparentHeader]).value_or(TraceContext{});
    auto executor = stream.get_executor();
    auto session = std::make_shared<WebSocketSession>(std::move(stream), deps_, *ctx.principal, ctx.room->id, id,
                                                      ctx.client_ip, trace);
    // The coroutine's parameters keep the session alive until it starts (Run holds itself from then on).
    auto run = [](std::shared_ptr<WebSocketSession> s, Request req) -> asio::awaitable<void> {
        co_await s->Run(std::move(req));
    };
    asio::co_spawn(executor, run(std::move(session), std::move(request)), LogThrown{"ws"});
}

}  // namespace rooms
