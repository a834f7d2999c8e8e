#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/settings.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/transport.h"

namespace rooms {

class RequestHandler;
struct HttpSessionOptions;

/// An HTTP keep-alive connection as shutdown sees it: closed at once when idle between requests, else after the
/// response in flight. A WebSocket takes its stream over (TakeStream); the connection then ends with it.
class HttpConnection : public Connection, public std::enable_shared_from_this<HttpConnection> {
  public:
    HttpConnection(Transport stream, const std::atomic<bool>& server_stopping)
        : executor_(stream.get_executor()), stream_(std::move(stream)), server_stopping_(server_stopping) {}
    void Shutdown() override;
    void Abort() override;

    Transport& stream() { return stream_; }
    /// Hands the stream to a WebSocket session; the HTTP loop ends when the handler returns. Strand only.
    Transport TakeStream() {
        upgraded_ = true;
        return std::move(stream_);
    }
    bool upgraded() const { return upgraded_; }
    /// True once the server began its graceful shutdown (no new WebSockets then).
    bool server_stopping() const { return server_stopping_.load(); }

  private:
    friend asio::awaitable<void> ServeHttp(Transport, RequestHandler&, const HttpSessionOptions&, ConnectionRegistry&,
                                           const std::atomic<bool>&);
    asio::any_io_executor executor_;
    Transport stream_;
    const std::atomic<bool>& server_stopping_;
    bool idle_ = true;       // strand only
    bool draining_ = false;  // strand only
    bool upgraded_ = false;  // strand only: the stream now belongs to a WebSocket session
};

/// What answers the requests of a connection: the gateway's dispatcher, or the probe routes of a consumer.
class RequestHandler {
  public:
    virtual ~RequestHandler() = default;
    /// Answers one request from `client_ip`. May take the connection's stream over (a WebSocket); the response it
    /// returns then is not sent.
    virtual asio::awaitable<Response> Handle(Request& req, const std::string& client_ip, HttpConnection& conn) = 0;
};

/// The limits of reading requests (from http.*).
struct HttpSessionOptions {
    std::size_t body_limit_bytes;
    std::size_t header_limit_bytes;
    std::chrono::seconds request_timeout;      // to read one request, and the keep-alive idle time
    std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For / X-Real-IP is believed

    static HttpSessionOptions From(const HttpSettings& http);
};

/// Serves one connection until it closes: reads each request within the limits (413, 431, 400 for a malformed
/// one, and then the connection closes), hands it to `handler`, writes the response keeping the connection alive
/// when the client wants to and the server is not `stopping`, and logs one line per request, without its query
/// string (access_token travels there), then ends the connection politely (Transport::Shutdown). `stream` is plain
/// or TLS with its handshake done (HttpServer does it). Runs on the stream's strand.
asio::awaitable<void> ServeHttp(Transport stream, RequestHandler& handler, const HttpSessionOptions& options,
                                ConnectionRegistry& registry, const std::atomic<bool>& stopping);

}  // namespace rooms
