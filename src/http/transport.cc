#include "http/transport.h"

#include <spdlog/spdlog.h>

namespace rooms {

void LogThrown::operator()(const std::exception_ptr& e) const {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("{}: {}", what, ex.what());
    }
}

beast::tcp_stream& Transport::tcp() noexcept {
    if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
    return *std::get_if<PlainStream>(&stream_);  // the only other alternative: get_if cannot throw, std::get could
}

asio::awaitable<void> Transport::Shutdown(std::chrono::steady_clock::duration timeout) {
    if (auto* tls = std::get_if<TlsStream>(&stream_)) {
        // Ends when the peer answers with its own close_notify, closes, or the time is up (the TCP stream's timer
        // closes the socket then).
        tcp().expires_after(timeout);
        co_await tls->async_shutdown(asio::as_tuple(asio::use_awaitable));
        tcp().expires_never();
    }
    beast::error_code ignored;
    tcp().socket().shutdown(asio::socket_base::shutdown_send, ignored);
    Close();
}

void Transport::Close() noexcept {
    beast::error_code ignored;
    tcp().socket().close(ignored);
}

void teardown(beast::role_type role, Transport& transport, beast::error_code& ec) {
    std::visit(
        [&](auto& s) {
            using beast::websocket::teardown;
            teardown(role, s, ec);
        },
        transport.stream_);
}

}  // namespace rooms
