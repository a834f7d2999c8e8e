#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <memory>
#include <utility>
#include <variant>

#include "http/asio.h"

namespace rooms {

/// The byte stream of one client connection: plain TCP, or TLS over TCP after its handshake. Everything above it
/// (the HTTP session, the WebSocket session) is written once against this type and works on both.
///
/// Models Asio's AsyncReadStream and AsyncWriteStream (`async_read_some`/`async_write_some` with any completion
/// token), so `http::async_read`, `asio::async_write` and `websocket::stream<Transport>` take it as they take a
/// `beast::tcp_stream`. `beast::get_lowest_layer` of it (and of a websocket stream over it) is the TCP stream:
/// timeouts, endpoints, socket options and cutting the connection go there.
///
/// Move-only (constructible, not assignable: `beast::tcp_stream` is not assignable). Not thread-safe: use it on its
/// connection's strand, one read and one write in flight at most, as with any Asio stream.
class Transport {
  public:
    using PlainStream = beast::tcp_stream;
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    using executor_type = PlainStream::executor_type;

    /// A plain connection.
    explicit Transport(PlainStream plain) : stream_(std::in_place_type<PlainStream>, std::move(plain)) {}
    /// A TLS connection whose server handshake is done. `context` is the one the stream was made from: it stays alive
    /// as long as the connection, whatever a certificate reload does to the server's current one.
    Transport(TlsStream tls, std::shared_ptr<asio::ssl::context> context)
        : stream_(std::in_place_type<TlsStream>, std::move(tls)), context_(std::move(context)) {}

    Transport(Transport&&) noexcept = default;
    Transport& operator=(Transport&&) = delete;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;
    ~Transport() = default;

    executor_type get_executor() noexcept { return tcp().get_executor(); }

    /// The TCP stream underneath (timeouts, endpoints, socket options, close).
    beast::tcp_stream& tcp() noexcept;
    /// The same: the layer `beast::get_lowest_layer` walks down to, as `beast::ssl_stream` has it.
    beast::tcp_stream& next_layer() noexcept { return tcp(); }

    /// True for TLS.
    bool secure() const noexcept { return std::holds_alternative<TlsStream>(stream_); }

    /// What the connection holds for as long as it is open, whoever ends up owning the stream (the HTTP session, a
    /// WebSocket session): its slot in the server's connection counts (HttpServer), released with the stream.
    void Hold(std::shared_ptr<void> admission) noexcept { admission_ = std::move(admission); }

    template <typename MutableBufferSequence, typename Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBufferSequence& b) {
                std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    template <typename ConstBufferSequence, typename Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence& b) {
                std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    /// Ends the connection politely: over TLS, a close_notify (waiting at most `timeout` for the peer's), then for
    /// both the TCP send side is shut and the socket closed. Errors are not reported: the connection is over either
    /// way.
    asio::awaitable<void> Shutdown(std::chrono::steady_clock::duration timeout);

    /// Cuts the connection at once (no close_notify). Pending operations complete with operation_aborted.
    void Close() noexcept;

  private:
    template <typename TeardownHandler>
    friend void async_teardown(beast::role_type role, Transport& transport, TeardownHandler&& handler);
    friend void teardown(beast::role_type role, Transport& transport, beast::error_code& ec);

    std::variant<PlainStream, TlsStream> stream_;
    std::shared_ptr<asio::ssl::context> context_;  // null for plain connections
    std::shared_ptr<void> admission_;              // Hold
};

/// Beast's customization points for closing a `websocket::stream<Transport>`: after the close frames, a TLS
/// connection sends its close_notify, then the TCP connection is shut, as Beast does for each stream on its own.
template <typename TeardownHandler>
void async_teardown(beast::role_type role, Transport& transport, TeardownHandler&& handler) {
    std::visit(
        [&](auto& s) {
            using beast::websocket::async_teardown;
            async_teardown(role, s, std::forward<TeardownHandler>(handler));
        },
        transport.stream_);
}
void teardown(beast::role_type role, Transport& transport, beast::error_code& ec);

}  // namespace rooms
