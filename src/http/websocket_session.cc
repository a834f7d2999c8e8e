#include "http/websocket_session.h"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "http/json_codec.h"

namespace rooms {

namespace {
constexpr auto kCloseGrace = std::chrono::seconds(5);
// A client whose queue overflowed is not reading: its close frame waits behind a stuck write, so do not
// wait long for it.
constexpr auto kOverflowCloseGrace = std::chrono::milliseconds(500);
}  // namespace

WebSocketSession::WebSocketSession(beast::tcp_stream stream, WebSocketDeps deps, Principal who, RoomId room,
                                   ConnectionId connection_id, std::string client_ip)
    : ws_(std::move(stream)),
      deps_(deps),
      who_(std::move(who)),
      room_(room),
      connection_id_(std::move(connection_id)),
      client_ip_(std::move(client_ip)),
      user_key_("user:" + std::to_string(who_.user_id)),
      queue_(deps.options.send_queue_messages),
      wake_(ws_.get_executor()),
      close_deadline_(ws_.get_executor()) {}

asio::awaitable<void> WebSocketSession::Run(Request request) {
    auto self = shared_from_this();
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    // Beast pings after half the idle time without traffic and drops the peer after the whole of it.
    timeouts.idle_timeout = deps_.options.ping_interval * 2;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "rooms"); }));
    ws_.read_message_max(deps_.options.max_frame_bytes);

    auto [ec] = co_await ws_.async_accept(request, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        spdlog::info("ws {} room={} user={} handshake failed: {}", client_ip_, room_, who_.user_id, ec.message());
        co_return;
    }
    // Over a cap the client still gets a WebSocket, to read the reason from its close frame (browsers see no
    // HTTP status of a refused handshake).
    if (auto why = deps_.caps.Acquire(client_ip_, who_.user_id)) {
        spdlog::info("ws {} room={} user={} refused: {}", client_ip_, room_, who_.user_id, *why);
        ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(5), kCloseGrace, false});
        co_await ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, *why),
                                 asio::as_tuple(asio::use_awaitable));
        co_return;
    }
    struct CapsRelease {
        WebSocketSession& s;
        ~CapsRelease() { s.deps_.caps.Release(s.client_ip_, s.who_.user_id); }
    } caps_release{*this};
    ConnectionGuard registered(deps_.registry, weak_from_this());
    spdlog::info("ws open {} room={} user={} conn={}", client_ip_, room_, who_.user_id, connection_id_);

    // Join the hub before reading history: what arrives meanwhile waits in the queue, and whatever the
    // history already holds is dropped from it, so nothing is missed or doubled.
    deps_.hub.Join(room_, self);
    bool joined = false;
    try {
        auto history = co_await RunBlocking(deps_.store_pool, [this] { return deps_.chat.Recent(room_); });
        std::unordered_set<MessageId> ids;
        for (const auto& m : history) ids.insert(m.id);
        queue_.Discard(ids);
        const std::string frame = SerializeHistory(history);
        ws_.text(true);
        auto [wec, n] = co_await ws_.async_write(asio::buffer(frame), asio::as_tuple(asio::use_awaitable));
        if (!wec) {
            co_await RunBlocking(deps_.store_pool, [this] {
                // Chat goes on without presence (e.g. Redis is down); the adapter lists the connection again
                // once it can.
                try {
                    deps_.presence.Add(room_, connection_id_, who_.user_id, who_.nickname);
                } catch (const std::exception& e) {
                    spdlog::warn("ws room={} conn={}: presence: {}", room_, connection_id_, e.what());
                }
            });
            joined = true;
            deps_.chat.Publish(deps_.chat.Stamp(room_, who_, MessageType::kJoin, std::string(kJoinedContent)),
                               [](std::optional<Error>) {});
            asio::co_spawn(ws_.get_executor(), WriteLoop(), asio::detached);
            co_await ReadLoop();
        }
    } catch (const std::exception& e) {
        spdlog::error("ws room={} conn={}: {}", room_, connection_id_, e.what());
    }

    deps_.hub.Leave(room_, this);
    queue_.Close();
    WakeWriter();
    close_deadline_.cancel();
    if (joined) {
        try {
            co_await RunBlocking(deps_.store_pool, [this] { deps_.presence.Remove(room_, connection_id_); });
        } catch (const std::exception& e) {
            spdlog::error("ws room={} conn={}: presence: {}", room_, connection_id_, e.what());
        }
        deps_.chat.Publish(deps_.chat.Stamp(room_, who_, MessageType::kLeave, std::string(kLeftContent)),
                           [](std::optional<Error>) {});
    }
    const auto reason = ws_.reason();
    spdlog::info("ws close {} room={} user={} conn={} code={} received={}{}", client_ip_, room_, who_.user_id,
                 connection_id_, static_cast<int>(reason.code), received_,
                 queue_.overflowed() ? " (send queue overflow)" : "");
}

asio::awaitable<void> WebSocketSession::ReadLoop() {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            // Beast has already answered a close, an oversized frame (1009) or invalid UTF-8 (1007).
            if (ec != websocket::error::closed && ec != asio::error::operation_aborted)
                spdlog::debug("ws conn={} read ended: {}", connection_id_, ec.message());
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
        if (!deps_.user_messages.Take(user_key_).allowed) {
            buffer.consume(buffer.size());
            Enqueue({std::make_shared<const std::string>(
                         SerializeWsError("message not sent: too many messages, slow down")),
                     0});
            continue;
        }
        std::string content = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        if (auto err = deps_.chat.Validate(content)) {
            Enqueue({std::make_shared<const std::string>(SerializeWsError(err->message)), 0});
            continue;
        }
        std::weak_ptr<WebSocketSession> weak = weak_from_this();
        deps_.chat.Publish(
            deps_.chat.Stamp(room_, who_, MessageType::kMessage, std::move(content)), [weak](std::optional<Error> err) {
                if (!err) return;
                if (auto self = weak.lock())
                    self->Enqueue(
                        {std::make_shared<const std::string>(SerializeWsError("message not sent: " + err->message)),
                         0});
            });
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
            spdlog::warn("ws conn={} user={}: send queue full, disconnecting the slow client", connection_id_,
                         who_.user_id);
            asio::post(ws_.get_executor(), [self = shared_from_this()] {
                self->CloseWith(websocket::close_code::policy_error, "send queue full: the client reads too slowly");
            });
            return false;
        case SendQueue::PushResult::kClosed:
            break;
    }
    return false;
}

void WebSocketSession::Enqueue(OutboundFrame frame) { (void)Deliver(frame); }

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

void WebSocketSession::CloseWith(websocket::close_code code, std::string reason) {
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

}  // namespace rooms
