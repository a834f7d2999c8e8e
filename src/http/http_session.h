#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/ip_networks.h"
#include "common/settings.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/transport.h"

namespace rooms {

class RequestHandler;
struct HttpSessionOptions;

/// An HTTP keep-alive connection as shutdown and a full server see it: closed at once when it waits for a request
/// (idle), else after the response in flight. A WebSocket takes its stream over (TakeStream); the HTTP connection
/// ends there, and the WebSocket session goes on by itself.
class HttpConnection : public Connection, public std::enable_shared_from_this<HttpConnection> {
  public:
    HttpConnection(Transport stream, const std::atomic<bool>& server_stopping, bool peer_trusted)
        : executor_(stream.get_executor()),
          stream_(std::move(stream)),
          server_stopping_(server_stopping),
          peer_trusted_(peer_trusted) {}
    void Shutdown() override;
    void Abort() override;
    std::optional<std::chrono::steady_clock::time_point> IdleSince() const override;
    bool TryReclaim() override;

    Transport& stream() { return stream_; }
    /// Hands the stream to a WebSocket session; the HTTP loop ends when the handler returns. Strand only.
    Transport TakeStream() {
        upgraded_ = true;
        return std::move(stream_);
    }
    bool upgraded() const { return upgraded_; }
    /// True once the server began its graceful shutdown (no new WebSockets then).
    bool server_stopping() const { return server_stopping_.load(); }
    /// True when the peer is in http.trusted_proxies: its forwarding headers are believed.
    bool peer_trusted() const { return peer_trusted_; }

  private:
    friend asio::awaitable<void> ServeHttp(Transport, RequestHandler&, const HttpSessionOptions&, ConnectionRegistry&,
                                           const std::atomic<bool>&);
    enum State : int { kIdle, kBusy, kReclaimed };
    /// Marks the connection busy (a request's first byte came); false when it was reclaimed meanwhile. Strand only.
    bool BecomeBusy() { return state_.exchange(kBusy) != kReclaimed; }
    void BecomeIdle() {
        idle_since_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
        state_ = kIdle;
    }

    asio::any_io_executor executor_;
    Transport stream_;
    const std::atomic<bool>& server_stopping_;
    const bool peer_trusted_;
    std::atomic<int> state_{kIdle};               // idle: waits for the first byte of a request
    std::atomic<std::int64_t> idle_since_ns_{0};  // steady_clock, when it became idle
    bool draining_ = false;                       // strand only
    bool upgraded_ = false;                       // strand only: the stream now belongs to a WebSocket session
};

/// What answers the requests of a connection: the gateway's dispatcher, or the probe routes of a consumer.
class RequestHandler {
  public:
    virtual ~RequestHandler() = default;
    /// Answers one request from `client_ip`. May take the connection's stream over (a WebSocket, started on its
    /// own); the response it returns then is not sent and the HTTP session ends.
    virtual asio::awaitable<Response> Handle(Request& req, const std::string& client_ip, HttpConnection& conn) = 0;
};

/// The limits of reading requests (from http.*).
struct HttpSessionOptions {
    std::size_t body_limit_bytes;
    std::size_t header_limit_bytes;
    std::chrono::seconds request_timeout;  // to read one whole request, from its first byte
    std::chrono::seconds header_timeout;   // to read a request's headers; and the first request's first byte
    std::chrono::seconds idle_timeout;     // the keep-alive idle time between requests
    IpNetworks trusted_proxies;            // peers whose X-Forwarded-For / X-Real-IP is believed

    static HttpSessionOptions From(const HttpSettings& http);
};

/// Serves one connection until it closes: waits for each request (idle: the first one within header_timeout, the
/// next ones within idle_timeout; a full server may close it meanwhile), reads it within the limits (413, 431; 400
/// for a malformed one or a head RFC 9112 refuses, HeadProblem; the connection closes then), hands it to `handler`,
/// writes the response keeping the connection alive when the client wants to and the server is not `stopping`, and
/// logs one line per request, without its query string (access_token travels there), then ends the connection
/// politely (Transport::Shutdown). No wait exceeds request_timeout. `stream` is plain or TLS with its handshake done
/// (HttpServer does it). Runs on the stream's strand.
asio::awaitable<void> ServeHttp(Transport stream, RequestHandler& handler, const HttpSessionOptions& options,
                                ConnectionRegistry& registry, const std::atomic<bool>& stopping);

}  // namespace rooms
