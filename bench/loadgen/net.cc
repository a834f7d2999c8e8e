#include "net.h"

#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <exception>
#include <random>
#include <stdexcept>

namespace rooms_bench {

namespace http = beast::http;
namespace json = boost::json;
using asio::use_awaitable;
using namespace std::chrono_literals;

Target Target::Parse(const std::string& url, const std::string& prefix) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) throw std::runtime_error("--url '" + url + "': only http://HOST:PORT is supported");
    std::string rest = url.substr(scheme.size());
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || rest.find('/') != std::string::npos)
        throw std::runtime_error("--url '" + url + "': expected http://HOST:PORT (put a path prefix in --api-prefix)");
    Target t;
    t.host = rest.substr(0, colon);
    const int port = std::stoi(rest.substr(colon + 1));
    if (port <= 0 || port > 65535) throw std::runtime_error("--url '" + url + "': bad port");
    t.port = static_cast<unsigned short>(port);
    t.prefix = prefix;
    if (!t.prefix.empty() && t.prefix.front() != '/') t.prefix.insert(t.prefix.begin(), '/');
    while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(t.host, std::to_string(t.port), ec);
    if (ec || results.empty()) throw std::runtime_error("cannot resolve '" + t.host + "': " + ec.message());
    t.endpoint = *results.begin();
    return t;
}

IoThreads::IoThreads(int threads) {
    if (threads < 1) threads = 1;
    for (int i = 0; i < threads; ++i) {
        contexts_.push_back(std::make_unique<asio::io_context>(1));
        guards_.push_back(asio::make_work_guard(*contexts_.back()));
    }
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([ioc = contexts_[static_cast<std::size_t>(i)].get()] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (const std::exception& e) {
                    fprintf(stderr, "rooms-bench: io thread: %s\n", e.what());
                }
            }
        });
    }
}

IoThreads::~IoThreads() { Stop(); }

void IoThreads::Stop() {
    guards_.clear();
    for (auto& c : contexts_) c->stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

asio::awaitable<HttpResult> HttpConnection::Request(http::verb method, std::string target, std::string body,
                                                    std::string bearer) {
    const bool reused = open_;
    HttpResult r = co_await Once(method, target, body, bearer);
    if (r.status == 0 && reused) r = co_await Once(method, target, body, bearer);
    co_return r;
}

asio::awaitable<HttpResult> HttpConnection::Once(http::verb method, const std::string& target, const std::string& body,
                                                 const std::string& bearer) {
    HttpResult r;
    beast::error_code ec;
    auto fail = [&](const char* what) {
        r.error = std::string(what) + ": " + ec.message();
        stream_.socket().close(ec);
        open_ = false;
        buffer_.clear();
    };
    stream_.expires_after(30s);
    if (!open_) {
        co_await stream_.async_connect(target_.endpoint, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            fail("connect");
            co_return r;
        }
        stream_.socket().set_option(tcp::no_delay(true), ec);
        open_ = true;
    }
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, target_.HostHeader());
    req.set(http::field::user_agent, "rooms-bench");
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();
    co_await http::async_write(stream_, req, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        fail("write");
        co_return r;
    }
    http::response<http::string_body> res;
    co_await http::async_read(stream_, buffer_, res, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        fail("read");
        co_return r;
    }
    stream_.expires_never();
    r.status = static_cast<int>(res.result_int());
    r.body = std::move(res.body());
    if (!res.keep_alive()) {
        stream_.socket().close(ec);
        open_ = false;
        buffer_.clear();
    }
    co_return r;
}

asio::awaitable<std::string> ConnectWebSocket(WsStream& ws, const Target& target, const std::string& path,
                                              const std::optional<asio::ip::address>& source) {
    beast::error_code ec;
    auto& sock = beast::get_lowest_layer(ws).socket();
    if (source) {
        sock.open(source->is_v4() ? tcp::v4() : tcp::v6(), ec);
        if (ec) co_return "socket: " + ec.message();
#ifdef IP_BIND_ADDRESS_NO_PORT
        // Pick the port at connect time, by the whole 4-tuple, not at bind time by the address alone.
        const int one = 1;
        ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        sock.bind(tcp::endpoint(*source, 0), ec);
        if (ec) co_return "bind " + source->to_string() + ": " + ec.message();
    }
    beast::get_lowest_layer(ws).expires_after(30s);
    co_await beast::get_lowest_layer(ws).async_connect(target.endpoint, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    sock.set_option(tcp::no_delay(true), ec);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(http::field::user_agent, "rooms-bench"); }));
    ws.read_message_max(16u << 20);
    websocket::response_type res;
    co_await ws.async_handshake(res, target.HostHeader(), path, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return "handshake: " + ec.message() + " (HTTP " + std::to_string(res.result_int()) + ")";
    // Beast's timer is off from here on: the server pings idle connections and the read loop answers them.
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = 30s;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws.set_option(t);
    co_return std::string{};
}

std::string RunTag() {
    std::random_device rd;
    static const char* kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string tag;
    for (int i = 0; i < 6; ++i) tag += kAlphabet[rd() % 36];
    return tag;
}

void RunCoroutine(std::function<asio::awaitable<void>()> fn) {
    asio::io_context ioc;
    std::exception_ptr error;
    asio::co_spawn(ioc, fn(), [&](std::exception_ptr e) { error = e; });
    ioc.run();
    if (error) std::rethrow_exception(error);
}

namespace {

std::string Describe(const HttpResult& r) {
    if (r.status == 0) return r.error;
    return "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
}

}  // namespace

namespace {

/// Runs `step(connection, i)` for i in [0, count), `concurrency` keep-alive connections at a time; the first
/// exception stops the others and is rethrown.
void ForEachConcurrently(const Target& target, int count, int concurrency,
                         const std::function<asio::awaitable<void>(HttpConnection&, int)>& step) {
    RunCoroutine([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        int next = 0;
        int running = concurrency;
        std::exception_ptr error;
        asio::steady_timer done(ex, SteadyClock::time_point::max());
        for (int w = 0; w < concurrency; ++w) {
            asio::co_spawn(
                ex,
                [&]() -> asio::awaitable<void> {
                    HttpConnection c(ex, target);
                    while (next < count && !error) co_await step(c, next++);
                },
                [&error, &running, &done](std::exception_ptr e) {
                    if (e && !error) error = e;
                    if (--running == 0) done.cancel();
                });
        }
        beast::error_code ec;
        co_await done.async_wait(asio::redirect_error(use_awaitable, ec));
        if (error) std::rethrow_exception(error);
    });
}

}  // namespace

std::vector<Session> RegisterAndLogin(const Target& target, const std::string& prefix, int count, int concurrency) {
    std::vector<Session> out(static_cast<std::size_t>(count));
    ForEachConcurrently(target, count, concurrency, [&](HttpConnection& c, int i) -> asio::awaitable<void> {
        Session& s = out[static_cast<std::size_t>(i)];
        s.nickname = prefix + std::to_string(i);
        const std::string creds =
            json::serialize(json::object{{"nickname", s.nickname}, {"password", "bench-password-1"}});
        auto reg = co_await c.Request(http::verb::post, target.Path("/user/register"), creds);
        if (reg.status != 200 && reg.status != 409)
            throw std::runtime_error("register " + s.nickname + ": " + Describe(reg));
        auto login = co_await c.Request(http::verb::post, target.Path("/user/login"), creds);
        if (login.status != 200) throw std::runtime_error("login " + s.nickname + ": " + Describe(login));
        auto v = json::parse(login.body).as_object();
        s.access_token = std::string(v.at("access_token").as_string());
        s.user_id = std::stoll(std::string(v.at("user_id").as_string()));
    });
    return out;
}

std::vector<std::int64_t> CreateRooms(const Target& target, const std::string& token, const std::string& prefix,
                                      int count, int concurrency) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(count));
    ForEachConcurrently(target, count, concurrency, [&](HttpConnection& c, int i) -> asio::awaitable<void> {
        // Built apart from the co_await: gcc 12 miscompiles initializer lists inside one.
        std::string body = json::serialize(json::object{{"name", prefix + std::to_string(i)}});
        auto r = co_await c.Request(http::verb::post, target.Path("/chat/rooms"), std::move(body), token);
        if (r.status != 200) throw std::runtime_error("create room: " + Describe(r));
        out[static_cast<std::size_t>(i)] =
            std::stoll(std::string(json::parse(r.body).as_object().at("id").as_string()));
    });
    return out;
}

}  // namespace rooms_bench
