#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/transport.h"

namespace rooms_e2e {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace std::chrono_literals;

/// A blocking WebSocket client. Every call is bounded by a timeout; a Read that times out leaves its read
/// pending, so the stream stays usable (the next Read continues it). Not thread-safe: one thread per client.
class WsClient {
  public:
    struct Options {
        std::string target;            // e.g. /chat/rooms/1?access_token=...
        std::string authorization;     // Authorization header value; empty: none
        std::string origin;            // Origin header value (what a browser sends); empty: none
        int receive_buffer_bytes = 0;  // SO_RCVBUF before connecting; 0: the system's
        std::string source_address;    // the local address to connect from (e.g. 127.0.0.2); empty: the system's
        std::vector<std::pair<std::string, std::string>> headers;  // more handshake headers (a proxy's)
        std::chrono::milliseconds timeout = 10s;
    };

    struct Frame {
        bool ok = false;         // a message was read
        bool timed_out = false;  // nothing arrived in time (the stream is still usable)
        bool binary = false;
        std::string text;
        beast::error_code ec;  // why the read ended when !ok
        int close_code = -1;   // the server's close code, when it sent a close frame
        std::string close_reason;
        std::string Describe() const;
    };

    /// Connects to 127.0.0.1:port (over TLS when the external server is https) and upgrades. Check connected(); on
    /// refusal handshake_status() is the HTTP status the server answered with.
    WsClient(unsigned short port, Options options);
    ~WsClient();  // closes the TCP connection abruptly if still open

    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    bool connected() const { return connected_; }
    int handshake_status() const { return handshake_status_; }  // 101 when upgraded; 0: no HTTP answer
    const std::string& handshake_body() const { return handshake_body_; }
    const std::string& error() const { return error_; }

    Frame Read(std::chrono::milliseconds timeout = 5s);

    bool Send(std::string_view text, std::chrono::milliseconds timeout = 5s);
    bool SendBinary(std::string_view data, std::chrono::milliseconds timeout = 5s);
    /// Writes bytes straight to the connection (through TLS, if any), bypassing the WebSocket framing (hand-made
    /// frames).
    bool SendRaw(std::string_view bytes, std::chrono::milliseconds timeout = 5s);

    /// Reads (handling control frames) until a ping from the server has been seen or the timeout passes.
    bool WaitForPing(std::chrono::milliseconds timeout);
    int pings() const { return pings_; }
    /// Sends a ping with this payload (at most 125 bytes); the pongs seen by later reads are in pong_payloads().
    bool Ping(std::string_view payload, std::chrono::milliseconds timeout = 5s);
    const std::vector<std::string>& pong_payloads() const { return pong_payloads_; }

    /// Sends a close frame and waits (bounded) for the server's; then closes the socket. server_close_code() is the
    /// code of the server's answer (-1 when none came in time).
    void Close(websocket::close_code code = websocket::close_code::normal, std::chrono::milliseconds timeout = 3s);
    int server_close_code() const { return server_close_code_; }
    /// Drops the TCP connection without a close frame.
    void Abort();

  private:
    bool Write(std::string_view data, bool binary, std::chrono::milliseconds timeout);
    void StartRead();
    void Drain();

    boost::asio::io_context ioc_;
    std::optional<websocket::stream<rooms::Transport>> ws_;  // set once connected
    bool connected_ = false;
    bool open_ = false;
    int handshake_status_ = 0;
    std::string handshake_body_;
    std::string error_;

    beast::flat_buffer read_buffer_;
    bool read_pending_ = false;
    bool read_done_ = false;
    beast::error_code read_ec_;
    int pings_ = 0;
    std::vector<std::string> pong_payloads_;
    int server_close_code_ = -1;
};

}  // namespace rooms_e2e
