#include "ws_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <sstream>

#include "client_transport.h"
#include "io_util.h"
#include "server_process.h"

namespace rooms_e2e {

namespace asio = boost::asio;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string WsClient::Frame::Describe() const {
    std::ostringstream os;
    if (ok) {
        os << (binary ? "binary frame: " : "text frame: ")
           << (text.size() > 300 ? text.substr(0, 300) + "...(" + std::to_string(text.size()) + " bytes)" : text);
    } else if (timed_out) {
        os << "no frame (timed out)";
    } else {
        os << "read ended: " << ec.message();
        if (close_code >= 0) os << ", close code " << close_code << " reason '" << close_reason << "'";
    }
    return os.str();
}

WsClient::WsClient(unsigned short port, Options options) {
    const auto deadline = Clock::now() + options.timeout;
    auto transport =
        ConnectTransport(ioc_, port, deadline, error_, options.receive_buffer_bytes, options.source_address);
    if (!transport) return;
    ws_.emplace(std::move(*transport));
    open_ = true;
    beast::error_code ec;
    bool done = false;

    ws_->auto_fragment(false);         // a message is one frame, so frame limits can be tested
    ws_->read_message_max(64u << 20);  // the client accepts anything the server sends
    ws_->control_callback([this](websocket::frame_type kind, beast::string_view payload) {
        if (kind == websocket::frame_type::ping) ++pings_;
        if (kind == websocket::frame_type::pong) pong_payloads_.emplace_back(payload.data(), payload.size());
    });
    const std::string auth = options.authorization, origin = options.origin;
    ws_->set_option(
        websocket::stream_base::decorator([auth, origin, extra = options.headers](websocket::request_type& req) {
            req.set(http::field::user_agent, "rooms-e2e");
            if (!auth.empty()) req.set(http::field::authorization, auth);
            if (!origin.empty()) req.set(http::field::origin, origin);
            for (const auto& [name, value] : extra) req.set(name, value);  // may replace Host, as a proxy does
        }));

    websocket::response_type res;
    done = false;
    ws_->async_handshake(res, "127.0.0.1:" + std::to_string(port), PathPrefix() + options.target,
                         [&](beast::error_code e) {
                             ec = e;
                             done = true;
                         });
    if (!RunUntil(
            ioc_, [&] { return done; }, deadline)) {
        error_ = "handshake timed out";
        Abort();
        return;
    }
    handshake_status_ = static_cast<int>(res.result_int());
    handshake_body_ = res.body();
    if (ec) {
        error_ = "handshake: " + ec.message() + " (HTTP " + std::to_string(handshake_status_) + ")";
        Abort();
        return;
    }
    connected_ = true;
}

WsClient::~WsClient() { Abort(); }

void WsClient::Drain() {
    beast::error_code ignored;
    if (ws_) beast::get_lowest_layer(*ws_).socket().close(ignored);
    ioc_.restart();
    ioc_.run_for(1s);
}

void WsClient::Abort() {
    if (!open_) return;
    open_ = false;
    connected_ = false;
    beast::error_code ignored;
    beast::get_lowest_layer(*ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    Drain();
}

void WsClient::StartRead() {
    if (read_pending_) return;
    read_pending_ = true;
    read_done_ = false;
    read_ec_ = {};
    read_buffer_.clear();
    ws_->async_read(read_buffer_, [this](beast::error_code ec, std::size_t) {
        read_ec_ = ec;
        read_done_ = true;
    });
}

WsClient::Frame WsClient::Read(std::chrono::milliseconds timeout) {
    Frame f;
    if (!open_ && !read_pending_) {
        f.ec = asio::error::not_connected;
        return f;
    }
    StartRead();
    if (!RunUntil(
            ioc_, [&] { return read_done_; }, Clock::now() + timeout)) {
        f.timed_out = true;
        return f;
    }
    read_pending_ = false;
    if (read_ec_) {
        f.ec = read_ec_;
        // The server's close frame may have arrived even when the read ended with another error (e.g. the
        // server dropped the TCP connection before our close reply could be written).
        if (read_ec_ == websocket::error::closed || ws_->reason().code != websocket::close_code::none) {
            f.close_code = static_cast<int>(ws_->reason().code);
            f.close_reason = std::string(ws_->reason().reason.data(), ws_->reason().reason.size());
        }
        connected_ = false;
        return f;
    }
    f.ok = true;
    f.binary = ws_->got_binary();
    f.text = beast::buffers_to_string(read_buffer_.data());
    return f;
}

bool WsClient::Write(std::string_view data, bool binary, std::chrono::milliseconds timeout) {
    if (!connected_) return false;
    ws_->binary(binary);
    bool done = false;
    beast::error_code ec;
    ws_->async_write(asio::buffer(data.data(), data.size()), [&](beast::error_code e, std::size_t) {
        ec = e;
        done = true;
    });
    if (!RunUntil(
            ioc_, [&] { return done; }, Clock::now() + timeout)) {
        error_ = "write timed out";
        Abort();
        return false;
    }
    ws_->binary(false);
    if (ec) error_ = "write: " + ec.message();
    return !ec;
}

bool WsClient::Send(std::string_view text, std::chrono::milliseconds timeout) { return Write(text, false, timeout); }

bool WsClient::SendBinary(std::string_view data, std::chrono::milliseconds timeout) {
    return Write(data, true, timeout);
}

bool WsClient::SendRaw(std::string_view bytes, std::chrono::milliseconds timeout) {
    if (!connected_) return false;
    bool done = false;
    beast::error_code ec;
    asio::async_write(ws_->next_layer(), asio::buffer(bytes.data(), bytes.size()),
                      [&](beast::error_code e, std::size_t) {
                          ec = e;
                          done = true;
                      });
    if (!RunUntil(
            ioc_, [&] { return done; }, Clock::now() + timeout)) {
        error_ = "raw write timed out";
        return false;
    }
    if (ec) error_ = "raw write: " + ec.message();
    return !ec;
}

bool WsClient::Ping(std::string_view payload, std::chrono::milliseconds timeout) {
    if (!connected_) return false;
    bool done = false;
    beast::error_code ec;
    ws_->async_ping(websocket::ping_data(payload.data(), payload.size()), [&](beast::error_code e) {
        ec = e;
        done = true;
    });
    if (!RunUntil(
            ioc_, [&] { return done; }, Clock::now() + timeout)) {
        error_ = "ping timed out";
        return false;
    }
    if (ec) error_ = "ping: " + ec.message();
    return !ec;
}

bool WsClient::WaitForPing(std::chrono::milliseconds timeout) {
    if (!connected_) return false;
    const int before = pings_;
    StartRead();
    RunUntil(
        ioc_, [&] { return pings_ > before || read_done_; }, Clock::now() + timeout);
    return pings_ > before;
}

void WsClient::Close(websocket::close_code code, std::chrono::milliseconds timeout) {
    if (!open_) return;
    if (connected_) {
        const auto deadline = Clock::now() + timeout;
        bool done = false;
        ws_->async_close(code, [&](beast::error_code) { done = true; });
        RunUntil(
            ioc_, [&] { return done && (!read_pending_ || read_done_); }, deadline);
        if (done) server_close_code_ = static_cast<int>(ws_->reason().code);
    }
    Abort();
}

}  // namespace rooms_e2e
