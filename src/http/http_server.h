#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "common/settings.h"
#include "common/throttled_log.h"
#include "http/asio.h"
#include "http/connection.h"
#include "http/connection_caps.h"
#include "http/http_session.h"
#include "http/tls_context.h"

namespace rooms {

/// The listener: accepts connections up to http.max_connections and serves each with ServeHttp and `handler`,
/// on a strand of its own. At most http.max_connections_per_ip come from one peer address (trusted proxies are
/// exempt), so no address can fill the server; when it is full all the same, the connection that has waited
/// longest for a request is closed to make room for the new one (ConnectionRegistry::ReclaimIdle), and only when
/// every connection is busy is the new one refused. Refusals are logged at most once a second (ThrottledLog). With
/// `tls` every connection first completes a TLS handshake (within tls.handshake_timeout_s, with the context current at
/// accept time) and is closed when it fails. The gateway and the consumer's probes both run one, with different
/// handlers.
class HttpServer {
  public:
    HttpServer(asio::io_context& io, const HttpSettings& http, RequestHandler& handler, ConnectionRegistry& registry,
               const TlsContext* tls = nullptr);

    /// Binds and starts accepting. Throws when the address cannot be bound.
    void Start(const tcp::endpoint& endpoint);
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    /// Connections accepted and not yet ended (HTTP keep-alive and upgraded to WebSockets). Any thread.
    std::size_t open_connections() const { return counts_->open.load(); }

    /// Graceful stop: no new connections; every connection is asked to close (WebSockets with 1001, idle
    /// keep-alive connections at once, busy ones after their response); `done` runs when every connection is gone
    /// or `grace` has passed (the rest are cut then).
    void Shutdown(std::chrono::milliseconds grace, const std::function<void()>& done);

  private:
    asio::awaitable<void> AcceptLoop();
    /// One accepted connection: the TLS handshake if any, then ServeHttp.
    asio::awaitable<void> Serve(tcp::socket socket, std::shared_ptr<void> admission);

    /// The connection counts, shared with every open connection's admission: the last of them may end after the
    /// server (its coroutine frame destroyed with the I/O context).
    struct Counts {
        explicit Counts(std::size_t per_address_cap) : per_address(per_address_cap) {}
        CappedCounts<std::string> per_address;  // http.max_connections_per_ip, by peer address
        std::atomic<std::size_t> open{0};
    };
    /// One connection's place in the counts, given back when it is destroyed.
    struct Admission;
    /// Whether a connection from `peer` may open now: when so its admission, which counts it until the stream
    /// holding it (Transport::Hold) is destroyed; else null.
    std::shared_ptr<void> AdmitConnection(const std::string& peer, bool exempt);

    asio::io_context& io_;
    const HttpSessionOptions session_options_;
    const std::size_t max_connections_;
    RequestHandler& handler_;
    ConnectionRegistry& registry_;
    const TlsContext* const tls_;  // null: plain HTTP
    tcp::acceptor acceptor_;
    const std::shared_ptr<Counts> counts_;
    std::atomic<bool> stopping_{false};
    // One per kind of refusal: an address at its cap, the server full, accept failing (out of descriptors).
    ThrottledLog per_address_log_{std::chrono::seconds(1)};
    ThrottledLog full_log_{std::chrono::seconds(1)};
    ThrottledLog accept_error_log_{std::chrono::seconds(1)};
};

/// HOST:PORT (also [v6]:PORT and localhost) as an endpoint. Throws on a malformed one.
tcp::endpoint ParseListenAddress(const std::string& listen);

}  // namespace rooms
