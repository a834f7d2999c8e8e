#pragma once

// A raw TCP client for the e2e tests that speak bytes the HTTP and WebSocket clients would not send.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

#include "test_util.h"

namespace rooms_e2e {

/// A plain TCP connection to the server on loopback, from the loopback address `source` (all of 127/8 is
/// loopback, so one server can see several client addresses), closed on destruction.
class RawConnection {
  public:
    explicit RawConnection(unsigned short port, const char* source = "127.0.0.1")
        : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source, &from.sin_addr);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
                     ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    }
    ~RawConnection() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return connected_; }
    bool Send(std::string_view bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    /// Reads until the server closes the connection or `timeout` passes; `closed` says which.
    std::string ReadUntilClosed(std::chrono::milliseconds timeout, bool& closed) {
        std::string out;
        closed = false;
        const auto deadline = Clock::now() + timeout;
        char buf[4096];
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return out;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed = true;
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    /// True when the server closes the connection within `timeout` (end of stream or reset; any bytes it
    /// sends first, such as an error response, are read and dropped).
    bool ClosedWithin(std::chrono::milliseconds timeout) {
        bool closed = false;
        ReadUntilClosed(timeout, closed);
        return closed;
    }

  private:
    int fd_;
    bool connected_ = false;
};

}  // namespace rooms_e2e
