#include "client_transport.h"

#include <openssl/ssl.h>

#include <memory>

#include "server_process.h"

namespace rooms_e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// The client context for the external https server: verifies the peer against ROOMS_E2E_CA_FILE only (not the
// system's CAs), TLS 1.2 at least. Null when the server is plain; throws when the CA file cannot be read.
std::shared_ptr<ssl::context> ClientContext() {
    static const std::shared_ptr<ssl::context> context = []() -> std::shared_ptr<ssl::context> {
        if (!External() || !External()->tls) return nullptr;
        auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
        SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
        ctx->set_verify_mode(ssl::verify_peer);
        ctx->load_verify_file(External()->ca_file);
        return ctx;
    }();
    return context;
}

// Drops what is left of a failed connection, running its aborted operations out.
void Discard(asio::io_context& ioc, beast::tcp_stream& stream) {
    beast::error_code ignored;
    stream.socket().close(ignored);
    ioc.restart();
    ioc.run_for(std::chrono::seconds(1));
}

}  // namespace

std::optional<rooms::Transport> ConnectTransport(asio::io_context& ioc, unsigned short port, Clock::time_point deadline,
                                                 std::string& error, int receive_buffer_bytes,
                                                 const std::string& source_address) {
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    stream.socket().open(tcp::v4(), ec);
    if (!ec && receive_buffer_bytes > 0)
        stream.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes), ec);
    if (!ec && !source_address.empty()) {
        const auto source = asio::ip::make_address(source_address, ec);
        if (!ec) stream.socket().bind(tcp::endpoint(source, 0), ec);
    }
    if (ec) {
        error = "socket: " + ec.message();
        return std::nullopt;
    }
    bool done = false;
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code e) {
        ec = e;
        done = true;
    });
    if (!RunUntil(
            ioc, [&] { return done; }, deadline) ||
        ec) {
        error = done ? "connect: " + ec.message() : "connect timed out";
        Discard(ioc, stream);
        return std::nullopt;
    }
    stream.socket().set_option(tcp::no_delay(true), ec);  // no Nagle delays in the measurements
    std::shared_ptr<ssl::context> context;
    try {
        context = ClientContext();
    } catch (const std::exception& e) {
        error = "ROOMS_E2E_CA_FILE " + External()->ca_file + ": " + e.what();
        Discard(ioc, stream);
        return std::nullopt;
    }
    if (!context) return rooms::Transport(std::move(stream));

    rooms::Transport::TlsStream tls(std::move(stream), *context);
    const std::string& host = External()->tls_host;
    SSL_set_tlsext_host_name(tls.native_handle(), host.c_str());  // SNI
    tls.set_verify_callback(ssl::host_name_verification(host));
    done = false;
    tls.async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
    });
    if (!RunUntil(
            ioc, [&] { return done; }, deadline) ||
        ec) {
        error = done ? "TLS handshake: " + ec.message() : "TLS handshake timed out";
        Discard(ioc, tls.next_layer());
        return std::nullopt;
    }
    return rooms::Transport(std::move(tls), std::move(context));
}

}  // namespace rooms_e2e
