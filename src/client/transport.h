#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "client/server_url.h"

namespace boost::asio::ssl {
class context;
}

namespace rooms::client {

/// One HTTP response, or why there is none.
struct HttpReply {
    int status = 0;  // 0: no response; `error` says why (unreachable, timed out, TLS refused...)
    std::string body;
    std::string error;
};

struct SocketRead {
    bool ok = false;  // a text frame was read into `text`
    std::string text;
    std::string error;    // why the socket ended, when !ok
    int close_code = -1;  // the server's close code, when it sent a close frame
};

/// An open room WebSocket. One Read and one Write may be in flight at once (Beast's rule); not thread-safe:
/// use it from the executor it was opened on.
class RoomSocket {
  public:
    virtual ~RoomSocket() = default;
    /// The next text frame; a binary frame is skipped. Ends (ok=false) on close, error or a dead connection
    /// (no traffic for the idle timeout although the client pinged).
    virtual boost::asio::awaitable<SocketRead> Read() = 0;
    /// Sends `text` as one text frame. False when the connection is gone.
    virtual boost::asio::awaitable<bool> Write(std::string text) = 0;
    /// Sends a close frame (1000) and waits, bounded, for the server's; then the TCP connection is closed.
    /// Only while no Write is in flight.
    virtual boost::asio::awaitable<void> Close() = 0;
    /// Drops the TCP connection at once; pending operations end with an error.
    virtual void Abort() = 0;
};

struct OpenedSocket {
    std::unique_ptr<RoomSocket> socket;  // null when refused or unreachable
    int http_status = 0;                 // the handshake's status when the server answered without upgrading
    std::string error;
};

/// HTTP/1.1 and WebSocket connections to one server, over TCP or TLS (certificates verified against the system's
/// store unless `verify_tls` is false). Each request has its own connection, bounded by `timeout` from connect to
/// the last byte. Use from one thread (the executor's).
class Transport {
  public:
    Transport(boost::asio::any_io_executor executor, ServerUrl url, bool verify_tls,
              std::chrono::milliseconds timeout = std::chrono::seconds(15));
    ~Transport();

    /// `target` is the full path and query. `bearer`: the access token for Authorization, or empty.
    /// `body` non-empty: sent as application/json.
    boost::asio::awaitable<HttpReply> Request(std::string method, std::string target, std::string body,
                                              std::string bearer);
    /// Opens the WebSocket at `target`, with `bearer` in the Authorization header.
    boost::asio::awaitable<OpenedSocket> OpenWebSocket(std::string target, std::string bearer);

    const ServerUrl& url() const { return url_; }

  private:
    boost::asio::any_io_executor executor_;
    ServerUrl url_;
    std::unique_ptr<boost::asio::ssl::context> tls_;  // https only
    bool verify_tls_;
    std::chrono::milliseconds timeout_;
};

}  // namespace rooms::client
