#include "client/transport.h"

#include <openssl/err.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace rooms::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
/// The largest response body and WebSocket message the client takes: a history frame of a server with a large
/// chat.history_size is the biggest thing it reads.
constexpr std::size_t kMaxBodyBytes = 16u << 20;
constexpr std::chrono::seconds kWsHandshakeTimeout{15};
/// No traffic for half of it and the client pings; for all of it and the connection counts as dead. The server
/// pings idle sockets too, so a live connection never reaches it.
constexpr std::chrono::seconds kWsIdleTimeout{40};
constexpr std::chrono::seconds kWsCloseTimeout{2};
constexpr const char* kUserAgent = "rooms-chat";

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string Describe(const beast::error_code& ec) {
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) return "timed out";
    if (ec.category() == asio::error::get_ssl_category()) return "TLS: " + ec.message();
    return ec.message();
}

asio::awaitable<beast::error_code> ConnectTcp(beast::tcp_stream& stream, const ServerUrl& url, SteadyTime deadline) {
    tcp::resolver resolver(stream.get_executor());
    asio::steady_timer watchdog(stream.get_executor(), deadline);
    // The handler touches the resolver only when the deadline passed, i.e. while the resolve is still pending.
    watchdog.async_wait([&resolver](beast::error_code ec) {
        if (!ec) resolver.cancel();
    });
    auto [ec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kUseTuple);
    watchdog.cancel();
    if (ec) co_return ec;
    stream.expires_at(deadline);
    auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kUseTuple);
    if (!connect_ec) {
        beast::error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);
    }
    co_return connect_ec;
}

asio::awaitable<beast::error_code> Connect(PlainStream& stream, const ServerUrl& url, bool, SteadyTime deadline) {
    co_return co_await ConnectTcp(stream, url, deadline);
}

asio::awaitable<beast::error_code> Connect(TlsStream& stream, const ServerUrl& url, bool verify, SteadyTime deadline) {
    if (auto ec = co_await ConnectTcp(beast::get_lowest_layer(stream), url, deadline)) co_return ec;
    beast::error_code not_ip;
    asio::ip::make_address(url.host, not_ip);
    // SNI names a host, never an address (RFC 6066).
    if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
        co_return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    if (verify) stream.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kUseTuple);
    co_return ec;
}

template <typename Stream>
asio::awaitable<HttpReply> Exchange(Stream& stream, http::request<http::string_body>& request, SteadyTime deadline) {
    HttpReply reply;
    beast::get_lowest_layer(stream).expires_at(deadline);
    if (auto [ec, n] = co_await http::async_write(stream, request, kUseTuple); ec) {
        reply.error = Describe(ec);
        co_return reply;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple); ec) {
        reply.error = Describe(ec);
        co_return reply;
    }
    reply.status = static_cast<int>(parser.get().result_int());
    reply.body = std::move(parser.get().body());
    beast::get_lowest_layer(stream).close();  // Connection: close; a TLS close_notify is not worth a round trip
    co_return reply;
}

/// A room socket over `NextLayer` (a TCP stream or a TLS stream over one).
template <typename NextLayer>
class RoomSocketImpl final : public RoomSocket {
  public:
    template <typename... Args>
    explicit RoomSocketImpl(Args&&... args) : ws_(std::forward<Args>(args)...) {}

    websocket::stream<NextLayer>& ws() { return ws_; }

    asio::awaitable<SocketRead> Read() override {
        SocketRead read;
        while (true) {
            buffer_.clear();
            auto [ec, n] = co_await ws_.async_read(buffer_, kUseTuple);
            if (ec) {
                if (ws_.reason().code != websocket::close_code::none) {
                    read.close_code = static_cast<int>(ws_.reason().code);
                    read.error = "closed by the server (" + std::to_string(read.close_code) +
                                 (ws_.reason().reason.empty()
                                      ? ""
                                      : ": " + std::string(ws_.reason().reason.data(), ws_.reason().reason.size())) +
                                 ")";
                } else {
                    read.error = ec == beast::error::timeout ? "no answer from the server" : Describe(ec);
                }
                co_return read;
            }
            if (!ws_.got_text()) continue;  // the API sends text only; ignore anything else
            read.ok = true;
            read.text = beast::buffers_to_string(buffer_.data());
            co_return read;
        }
    }

    asio::awaitable<bool> Write(std::string text) override {
        ws_.text(true);
        auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kUseTuple);
        co_return !ec;
    }

    asio::awaitable<void> Close() override {
        ws_.set_option(websocket::stream_base::timeout{kWsCloseTimeout, kWsIdleTimeout, true});
        co_await ws_.async_close(websocket::close_code::normal, kUseTuple);
        Abort();
    }

    void Abort() override { beast::get_lowest_layer(ws_).close(); }

  private:
    websocket::stream<NextLayer> ws_;
    beast::flat_buffer buffer_;
};

template <typename NextLayer>
asio::awaitable<OpenedSocket> Handshake(std::unique_ptr<RoomSocketImpl<NextLayer>> socket, const ServerUrl& url,
                                        bool verify, std::string target, std::string bearer, SteadyTime deadline) {
    OpenedSocket out;
    auto& ws = socket->ws();
    if (auto ec = co_await Connect(ws.next_layer(), url, verify, deadline)) {
        out.error = Describe(ec);
        co_return out;
    }
    beast::get_lowest_layer(ws).expires_never();  // the WebSocket's own timeouts take over
    ws.set_option(websocket::stream_base::timeout{kWsHandshakeTimeout, kWsIdleTimeout, true});
    ws.set_option(websocket::stream_base::decorator([bearer = std::move(bearer)](websocket::request_type& req) {
        req.set(http::field::user_agent, kUserAgent);
        if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    }));
    ws.read_message_max(kMaxBodyBytes);
    websocket::response_type response;
    if (auto [ec] = co_await ws.async_handshake(response, url.HostHeader(), target, kUseTuple); ec) {
        out.http_status = static_cast<int>(response.result_int());
        out.error = out.http_status != 0 && out.http_status != 101
                        ? "HTTP " + std::to_string(out.http_status) + ": " + response.body()
                        : Describe(ec);
        socket->Abort();
        co_return out;
    }
    out.socket = std::move(socket);
    co_return out;
}

}  // namespace

Transport::Transport(asio::any_io_executor executor, ServerUrl url, bool verify_tls, std::chrono::milliseconds timeout)
    : executor_(std::move(executor)), url_(std::move(url)), verify_tls_(verify_tls), timeout_(timeout) {
    if (url_.tls) {
        tls_ = std::make_unique<ssl::context>(ssl::context::tls_client);
        tls_->set_default_verify_paths();
        tls_->set_verify_mode(verify_tls ? ssl::verify_peer : ssl::verify_none);
    }
}

Transport::~Transport() = default;

asio::awaitable<HttpReply> Transport::Request(std::string method, std::string target, std::string body,
                                              std::string bearer) {
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, url_.HostHeader());
    request.set(http::field::user_agent, kUserAgent);
    request.set(http::field::accept, "application/json");
    if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.keep_alive(false);
    request.prepare_payload();
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    HttpReply reply;
    if (tls_) {
        TlsStream stream(executor_, *tls_);
        if (auto ec = co_await Connect(stream, url_, verify_tls_, deadline)) {
            reply.error = Describe(ec);
            co_return reply;
        }
        co_return co_await Exchange(stream, request, deadline);
    }
    PlainStream stream(executor_);
    if (auto ec = co_await Connect(stream, url_, false, deadline)) {
        reply.error = Describe(ec);
        co_return reply;
    }
    co_return co_await Exchange(stream, request, deadline);
}

asio::awaitable<OpenedSocket> Transport::OpenWebSocket(std::string target, std::string bearer) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    if (tls_) {
        co_return co_await Handshake(std::make_unique<RoomSocketImpl<TlsStream>>(executor_, *tls_), url_, verify_tls_,
                                     std::move(target), std::move(bearer), deadline);
    }
    co_return co_await Handshake(std::make_unique<RoomSocketImpl<PlainStream>>(executor_), url_, false,
                                 std::move(target), std::move(bearer), deadline);
}

}  // namespace rooms::client
