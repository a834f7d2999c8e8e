// HttpConnection: what shutdown and a full server do to a keep-alive connection. Apart from ServeHttp
// (http_session.cc), so that the request layer, which is handed the connection, links without the connection loop.
#include "http/http_session.h"

namespace rooms {

void HttpConnection::Shutdown() {
    asio::post(executor_, [self = shared_from_this()] {
        self->draining_ = true;
        if (self->state_ != kBusy && !self->upgraded_) self->stream_.Close();
    });
}

void HttpConnection::Abort() {
    asio::post(executor_, [self = shared_from_this()] {
        if (!self->upgraded_) self->stream_.Close();
    });
}

std::optional<std::chrono::steady_clock::time_point> HttpConnection::IdleSince() const {
    if (state_ != kIdle) return std::nullopt;
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(idle_since_ns_.load()));
}

bool HttpConnection::TryReclaim() {
    int idle = kIdle;
    if (!state_.compare_exchange_strong(idle, kReclaimed)) return false;
    asio::post(executor_, [self = shared_from_this()] {
        if (!self->upgraded_) self->stream_.Close();
    });
    return true;
}

}  // namespace rooms
