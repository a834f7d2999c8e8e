#pragma once

// The bench's client side of the public API: keep-alive HTTP requests and WebSocket room connections as Asio
// C++20 coroutines, plus the set-up calls (register, login, create a room). Everything here speaks only the
// public API, so the bench can be pointed at any server that keeps the contract (docs/API.md).
//
// Threads: IoThreads owns one io_context per thread; an object created on one io_context is used only from
// that io_context's thread (no strands needed).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rooms_bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

/// Nanoseconds on the steady clock: the bench's one time base for send stamps and receive times.
inline std::int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

/// Where the server is: `--url http://host:port` and `--api-prefix` ("" or "/api").
struct Target {
    std::string host;
    unsigned short port = 0;
    std::string prefix;
    tcp::endpoint endpoint;  // resolved once
    std::string HostHeader() const { return host + ":" + std::to_string(port); }
    std::string Path(const std::string& path) const { return prefix + path; }
    /// Parses "http://host:port" (no path); throws std::runtime_error with a hint when it cannot.
    static Target Parse(const std::string& url, const std::string& prefix);
};

/// A pool of io_context threads. Work is spread over them by index (Get(i % size())).
class IoThreads {
  public:
    explicit IoThreads(int threads);
    ~IoThreads();
    IoThreads(const IoThreads&) = delete;
    IoThreads& operator=(const IoThreads&) = delete;

    int size() const { return static_cast<int>(contexts_.size()); }
    asio::io_context& Get(int i) { return *contexts_[static_cast<std::size_t>(i) % contexts_.size()]; }
    /// Stops every io_context and joins the threads. Idempotent.
    void Stop();

  private:
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::vector<std::thread> threads_;
};

struct HttpResult {
    int status = 0;  // 0: no response (see error)
    std::string body;
    std::string error;  // transport error
};

/// One keep-alive HTTP/1.1 connection, opened on first use and reopened after an error or a close.
/// One request at a time.
class HttpConnection {
  public:
    HttpConnection(asio::any_io_executor ex, const Target& target) : stream_(ex), target_(target) {}

    /// Sends one request (JSON body when `body` is non-empty; `bearer` sets Authorization) and reads the
    /// response. A reused connection the server had closed is retried once on a new connection.
    asio::awaitable<HttpResult> Request(beast::http::verb method, std::string target, std::string body = {},
                                        std::string bearer = {});

  private:
    asio::awaitable<HttpResult> Once(beast::http::verb method, const std::string& target, const std::string& body,
                                     const std::string& bearer);
    beast::tcp_stream stream_;
    const Target& target_;
    beast::flat_buffer buffer_;
    bool open_ = false;
};

using WsStream = websocket::stream<beast::tcp_stream>;

/// Opens a WebSocket to `target` at `path` (with its query; the API prefix is not added), binding the local
/// address `source` first when given (to use more than one loopback source address, past the ephemeral port
/// range). Returns the error text, empty on success.
asio::awaitable<std::string> ConnectWebSocket(WsStream& ws, const Target& target, const std::string& path,
                                              const std::optional<asio::ip::address>& source);

/// A logged-in bench user.
struct Session {
    std::int64_t user_id = 0;
    std::string nickname;
    std::string access_token;
};

/// Registers (409 = already there is fine) and logs in `count` users named `<prefix><i>`, `concurrency` at a
/// time. Throws std::runtime_error naming the failing call.
std::vector<Session> RegisterAndLogin(const Target& target, const std::string& prefix, int count, int concurrency = 4);

/// Creates `count` rooms named `<prefix><i>` with `token`, `concurrency` at a time; returns their ids.
std::vector<std::int64_t> CreateRooms(const Target& target, const std::string& token, const std::string& prefix,
                                      int count, int concurrency = 8);

/// A run-unique tag (for nicknames and room names; the server's database may outlive the run).
std::string RunTag();

/// Runs `fn` (a coroutine factory) to completion on a private io_context; rethrows its exception.
void RunCoroutine(std::function<asio::awaitable<void>()> fn);

}  // namespace rooms_bench
