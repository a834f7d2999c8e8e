#include "http/http_server.h"

#include <spdlog/spdlog.h>

namespace rooms {

namespace {

/// The peer's address as the caps count it: an IPv4 client on a dual-stack listener as plain IPv4.
std::string PeerAddress(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
    return address.to_string();
}

/// A connection during its TLS handshake, as shutdown sees it: it has no request to finish, so both a graceful
/// shutdown and an abort cut it. Before this, a handshake would hold the I/O threads for its whole timeout.
class PendingHandshake : public Connection, public std::enable_shared_from_this<PendingHandshake> {
  public:
    PendingHandshake(tcp::socket socket, asio::ssl::context& context)
        : executor_(socket.get_executor()), stream_(std::in_place, beast::tcp_stream(std::move(socket)), context) {}

    /// Runs the server handshake; the stream, or nullopt (and `ec`) when it failed or was cut. Strand only.
    asio::awaitable<std::optional<Transport::TlsStream>> Run(std::chrono::seconds timeout, beast::error_code& ec) {
        stream_->next_layer().expires_after(timeout);
        auto [hec] =
            co_await stream_->async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        ec = hec;
        if (ec) co_return std::nullopt;
        stream_->next_layer().expires_never();
        std::optional<Transport::TlsStream> out(std::move(stream_));
        stream_.reset();
        co_return out;
    }
    void Shutdown() override { Abort(); }
    void Abort() override {
        asio::post(executor_, [self = shared_from_this()] {
            beast::error_code ignored;
            if (self->stream_) self->stream_->next_layer().socket().close(ignored);
        });
    }

  private:
    asio::any_io_executor executor_;
    std::optional<Transport::TlsStream> stream_;  // strand only; empty once handed over
};

}  // namespace

struct HttpServer::Admission {
    Admission(std::shared_ptr<Counts> c, std::string p, bool e) : counts(std::move(c)), peer(std::move(p)), exempt(e) {}
    ~Admission() {
        --counts->open;
        if (!exempt) counts->per_address.Release(peer);
    }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;

    const std::shared_ptr<Counts> counts;
    const std::string peer;
    const bool exempt;
};

HttpServer::HttpServer(asio::io_context& io, const HttpSettings& http, RequestHandler& handler,
                       ConnectionRegistry& registry, const TlsContext* tls)
    : io_(io),
      session_options_(HttpSessionOptions::From(http)),
      max_connections_(static_cast<std::size_t>(http.max_connections)),
      handler_(handler),
      registry_(registry),
      tls_(tls),
      acceptor_(io),
      counts_(std::make_shared<Counts>(static_cast<std::size_t>(http.max_connections_per_ip))) {}

void HttpServer::Start(const tcp::endpoint& endpoint) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(io_, AcceptLoop(), asio::detached);
}

void HttpServer::Shutdown(std::chrono::milliseconds grace, const std::function<void()>& done) {
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
        beast::error_code ec;
        acceptor_.close(ec);
    });
    registry_.ShutdownAll();
    // Poll until every connection is gone; past the grace period, cut the stragglers and give them a moment to
    // unwind, so that no coroutine is left suspended when the I/O threads stop.
    auto timer = std::make_shared<asio::steady_timer>(io_);
    const auto start = std::chrono::steady_clock::now();
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, timer, start, grace, done, poll, aborted = false]() mutable {
        const auto waited = std::chrono::steady_clock::now() - start;
        if (registry_.size() != 0 && waited >= grace && !aborted) {
            spdlog::warn("shutdown: cutting {} connections still open after {} ms", registry_.size(), grace.count());
            registry_.AbortAll();
            aborted = true;
        }
        if (registry_.size() == 0 || waited >= grace + std::chrono::seconds(1)) {
            done();
            *poll = nullptr;  // breaks the self-reference
            return;
        }
        timer->expires_after(std::chrono::milliseconds(20));
        timer->async_wait([poll](beast::error_code) {
            if (*poll) (*poll)();
        });
    };
    asio::post(io_, [poll] { (*poll)(); });
}

asio::awaitable<void> HttpServer::AcceptLoop() {
    for (;;) {
        auto [ec, socket] =
            co_await acceptor_.async_accept(asio::make_strand(io_), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (stopping_ || ec == asio::error::operation_aborted) co_return;
            if (accept_error_log_.ShouldLog(ec.message()))
                spdlog::warn("accept: {} (logged at most once a second)", ec.message());
            // Out of descriptors and the like: do not spin.
            asio::steady_timer t(io_, std::chrono::milliseconds(50));
            co_await t.async_wait(asio::use_awaitable);
            continue;
        }
        beast::error_code ep_ec;
        const auto peer = socket.remote_endpoint(ep_ec);
        if (ep_ec) continue;  // gone already
        const std::string peer_ip = PeerAddress(peer.address());
        const bool exempt = session_options_.trusted_proxies.Contains(peer_ip);
        auto admission = AdmitConnection(peer_ip, exempt);
        if (!admission) {
            beast::error_code ignored;
            socket.close(ignored);
            continue;
        }
        beast::error_code nodelay_ec;
        socket.set_option(tcp::no_delay(true), nodelay_ec);  // chat frames are small: send them now
        auto executor = socket.get_executor();
        asio::co_spawn(executor, Serve(std::move(socket), std::move(admission)), LogThrown{"connection"});
    }
}

std::shared_ptr<void> HttpServer::AdmitConnection(const std::string& peer, bool exempt) {
    if (!exempt && !counts_->per_address.TryAcquire(peer)) {
        if (per_address_log_.ShouldLog("per address"))
            spdlog::warn(
                "accept: {} has {} connections open (http.max_connections_per_ip), refusing more "
                "(logged at most once a second)",
                peer, counts_->per_address.cap());
        return nullptr;
    }
    // Full: make room by closing the connection idle longest; its slot counts as free at once, so the count may
    // pass the cap by the few connections closing at that moment.
    if (counts_->open.load() >= max_connections_ && !registry_.ReclaimIdle()) {
        if (!exempt) counts_->per_address.Release(peer);
        if (full_log_.ShouldLog("full"))
            spdlog::warn(
                "accept: {} connections open (http.max_connections), all busy, refusing "
                "(logged at most once a second)",
                counts_->open.load());
        return nullptr;
    }
    ++counts_->open;
    return std::make_shared<Admission>(counts_, peer, exempt);
}

asio::awaitable<void> HttpServer::Serve(tcp::socket socket, std::shared_ptr<void> admission) {
    if (!tls_) {
        Transport transport(beast::tcp_stream(std::move(socket)));
        transport.Hold(std::move(admission));
        co_await ServeHttp(std::move(transport), handler_, session_options_, registry_, stopping_);
        co_return;
    }
    beast::error_code ep_ec;
    const auto peer = socket.remote_endpoint(ep_ec);
    const std::string peer_ip = ep_ec ? "unknown" : peer.address().to_string();
    auto context = tls_->Current();
    auto pending = std::make_shared<PendingHandshake>(std::move(socket), *context);
    std::optional<Transport::TlsStream> stream;
    beast::error_code ec;
    {
        ConnectionGuard registered(registry_, pending);
        stream = co_await pending->Run(tls_->handshake_timeout(), ec);
    }
    if (!stream) {
        // A plain-HTTP client on the TLS port, old protocols or ciphers only, or too slow: nothing to answer.
        spdlog::info("tls {} handshake failed: {}", peer_ip, ec.message());
        co_return;
    }
    Transport transport(std::move(*stream), std::move(context));
    transport.Hold(std::move(admission));
    co_await ServeHttp(std::move(transport), handler_, session_options_, registry_, stopping_);
}

tcp::endpoint ParseListenAddress(const std::string& listen) {
    const auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
    if (host == "localhost") host = "127.0.0.1";
    return {asio::ip::make_address(host), port};
}

}  // namespace rooms
