#include "http/websocket_session.h"

#include <spdlog/spdlog.h>

#include "http/json_codec.h"

namespace rooms {

namespace {
constexpr auto kCloseGrace = std::chrono::seconds(5);
// A client whose queue overflowed is not reading: its close frame waits behind a stuck write, so do not wait long
// for it.
constexpr auto kOverflowCloseGrace = std::chrono::milliseconds(500);
}  // namespace

WebSocketSession::WebSocketSession(Transport stream, WebSocketDeps deps, Principal who, RoomId room,
                                   ConnectionId connection_id, std::string client_ip)
    : ws_(std::move(stream)),
      deps_(deps),
      chat_(deps.chat, room, std::move(who), std::move(connection_id)),
      client_ip_(std::move(client_ip)),
      queue_(static_cast<std::size_t>(deps.settings.send_queue_messages)),
      wake_(ws_.get_executor()),
      close_deadline_(ws_.get_executor()) {}

asio::awaitable<void> WebSocketSession::Run(Request request) {
    auto self = shared_from_this();
    const RoomId room = chat_.room();
    const UserId user = chat_.who().user_id;
    const ConnectionId& conn = chat_.connection();
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    // Beast pings after half the idle time without traffic and drops the peer after the whole of it.
    timeouts.idle_timeout = std::chrono::seconds(deps_.settings.ping_interval_s) * 2;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "rooms"); }));
    ws_.read_message_max(static_cast<std::size_t>(deps_.settings.max_frame_bytes));

    auto [ec] = co_await ws_.async_accept(request, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        spdlog::info("ws {} room={} user={} handshake failed: {}", client_ip_, room, user, ec.message());
        co_return;
    }
    // Over a cap the client still gets a WebSocket, to read the reason from its close frame (browsers see no HTTP
    // status of a refused handshake).
    if (auto why = deps_.caps.Acquire(client_ip_, user)) {
        spdlog::info("ws {} room={} user={} refused: {}", client_ip_, room, user, *why);
        ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(5), kCloseGrace, false});
        co_await ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, *why),
                                 asio::as_tuple(asio::use_awaitable));
        co_return;
    }
    struct CapsRelease {
        WebSocketSession& s;
        UserId user;
        ~CapsRelease() { s.deps_.caps.Release(s.client_ip_, user); }
    } caps_release{*this, user};
    ConnectionGuard registered(deps_.registry, weak_from_this());
    spdlog::info("ws open {} room={} user={} conn={}", client_ip_, room, user, conn);

    try {
        auto history = co_await RunBlocking(deps_.store_pool, [&] { return chat_.Enter(self); });
        const std::string frame = SerializeHistory(history);
        ws_.text(true);
        auto [wec, n] = co_await ws_.async_write(asio::buffer(frame), asio::as_tuple(asio::use_awaitable));
        if (!wec) {
            co_await RunBlocking(deps_.store_pool, [&] { chat_.Announce(); });
            asio::co_spawn(ws_.get_executor(), WriteLoop(), asio::detached);
            co_await ReadLoop();
        }
    } catch (const std::exception& e) {
        spdlog::error("ws room={} conn={}: {}", room, conn, e.what());
    }

    queue_.Close();
    WakeWriter();
    close_deadline_.cancel();
    try {
        co_await RunBlocking(deps_.store_pool, [&] { chat_.Leave(); });
    } catch (const std::exception& e) {
        spdlog::error("ws room={} conn={}: leaving: {}", room, conn, e.what());
    }
    const auto reason = ws_.reason();
    spdlog::info("ws close {} room={} user={} conn={} code={} received={}{}", client_ip_, room, user, conn,
                 static_cast<int>(reason.code), received_, queue_.overflowed() ? " (send queue overflow)" : "");
}

asio::awaitable<void> WebSocketSession::ReadLoop() {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            // Beast has already answered a close, an oversized frame (1009) or invalid UTF-8 (1007).
            if (ec != websocket::error::closed && ec != asio::error::operation_aborted)
                spdlog::debug("ws conn={} read ended: {}", chat_.connection(), ec.message());
            co_return;
        }
        if (!ws_.got_text()) {
            CloseWith(websocket::close_code::unknown_data, "binary frames are not supported");
            buffer.consume(buffer.size());
            continue;  // read until the peer answers the close
        }
        if (closing_) {
            buffer.consume(buffer.size());
            continue;
        }
        ++received_;
        std::string content = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        std::weak_ptr<WebSocketSession> weak = weak_from_this();
        auto refused = chat_.Send(std::move(content), [weak](const Error& err) {
            if (auto self = weak.lock()) self->SendError(err.message);
        });
        if (refused) SendError(refused->message);
    }
}

asio::awaitable<void> WebSocketSession::WriteLoop() {
    auto self = shared_from_this();
    for (;;) {
        auto frame = queue_.Pop();
        if (!frame) {
            if (queue_.closed()) co_return;
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        auto [ec, n] = co_await ws_.async_write(asio::buffer(*frame->data), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            queue_.Close();
            co_return;
        }
    }
}

bool WebSocketSession::Deliver(const OutboundFrame& frame) {
    switch (queue_.Push(frame)) {
        case SendQueue::PushResult::kQueued:
            return true;
        case SendQueue::PushResult::kWakeWriter:
            WakeWriter();
            return true;
        case SendQueue::PushResult::kOverflow:
            spdlog::warn("ws conn={} user={}: send queue full, disconnecting the slow client", chat_.connection(),
                         chat_.who().user_id);
            asio::post(ws_.get_executor(), [self = shared_from_this()] {
                self->CloseWith(websocket::close_code::policy_error, "send queue full: the client reads too slowly");
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

void WebSocketSession::WakeWriter() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->wake_.cancel(); });
}

void WebSocketSession::Shutdown() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
        self->CloseWith(websocket::close_code::going_away, "server shutting down");
    });
}

void WebSocketSession::Abort() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { beast::get_lowest_layer(self->ws_).close(); });
}

void WebSocketSession::CloseWith(websocket::close_code code, const std::string& reason) {
    if (closing_) return;
    closing_ = true;
    queue_.Close();
    wake_.cancel();
    auto self = shared_from_this();
    close_deadline_.expires_after(queue_.overflowed() ? kOverflowCloseGrace : kCloseGrace);
    close_deadline_.async_wait([self](beast::error_code ec) {
        if (!ec) beast::get_lowest_layer(self->ws_).close();  // the peer did not let the close through
    });
    ws_.async_close(websocket::close_reason(code, reason), [self](beast::error_code) {});
}

asio::awaitable<void> RoomSockets::Upgrade(Transport stream, Request request, RequestContext& ctx) {
    const ConnectionId id = std::to_string(node_id_) + ":" + std::to_string(++next_connection_);
    auto session =
        std::make_shared<WebSocketSession>(std::move(stream), deps_, *ctx.principal, ctx.room->id, id, ctx.client_ip);
    co_await session->Run(std::move(request));
}

}  // namespace rooms
