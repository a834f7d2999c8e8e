#pragma once

#include <boost/asio/io_context.hpp>
#include <optional>
#include <string>

#include "http/transport.h"
#include "io_util.h"

namespace rooms_e2e {

/// A client connection to 127.0.0.1:port as the tests' HTTP and WebSocket clients make it: plain TCP, or — when the
/// external server is https (ROOMS_E2E_BASE_URL) — TLS with the server's certificate verified for its host name
/// against ROOMS_E2E_CA_FILE, the handshake done. Bounded by `deadline`; nullopt and `error` set on failure.
/// `receive_buffer_bytes` > 0 sets SO_RCVBUF before connecting; a `source_address` (e.g. 127.0.0.2: all of 127/8 is
/// loopback) is the address the connection comes from, so a test can be two clients on one machine.
std::optional<rooms::Transport> ConnectTransport(boost::asio::io_context& ioc, unsigned short port,
                                                 Clock::time_point deadline, std::string& error,
                                                 int receive_buffer_bytes = 0, const std::string& source_address = "");

}  // namespace rooms_e2e
