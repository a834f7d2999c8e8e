#pragma once

// The seam between the scenarios and the server they drive. A scenario (fanout, connections) owns the
// connections, the schedule, the stamps and the figures; a Driver knows one server's protocol: how accounts and
// rooms come to be, how a connection joins a room, what a publish looks like on the wire and what the lines of
// a received frame mean. The bench message itself is the same everywhere: a JSON string member "content" holding
// "bench <sender> <seq> <send_ns>[ padding]" (see fanout.cc), so the receive path costs the same per frame
// whichever server sent it.
//
// Threads: Prepare runs on the main thread before any io thread uses the driver; after it the driver is
// immutable and every other method may be called from any io thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net.h"
#include "scenarios.h"

namespace rooms_bench {

/// What a line of a received text frame is, when it is not a bench message.
enum class LineKind {
    kOther,  // anything else (presence notices, acks): ignored
    kPing,   // an application-level ping: answer with Driver::PingReply()
    kError,  // the server reports an error: counted, and the run fails
};

class Driver {
  public:
    virtual ~Driver() = default;

    /// Blocking set-up on the calling thread: `users` accounts and `rooms` rooms whose names start with `label`
    /// and a run-unique tag. Throws std::runtime_error naming what failed.
    virtual void Prepare(int users, int rooms, const std::string& label) = 0;

    /// Opens `ws` (binding `source` first when given) and asks to join `room` (index < rooms) as `user`
    /// (index < users). Returns the error text, empty on success; the member is in the room once AwaitJoined
    /// returned empty.
    virtual asio::awaitable<std::string> Open(WsStream& ws, int room, int user,
                                              const std::optional<asio::ip::address>& source) = 0;

    /// Reads until the server confirms the join (Rooms: the history frame; Centrifugo: the subscribe reply).
    virtual asio::awaitable<std::string> AwaitJoined(WsStream& ws, beast::flat_buffer& buffer) = 0;

    /// Writes into `out` the frame that publishes `content` (plain text, no characters JSON must escape) to
    /// `room`. `seq` is unique on the connection (the sender's sequence number).
    virtual void EncodePublish(int room, std::int64_t seq, std::string_view content, std::string& out) const = 0;

    /// Classifies a line that is not a bench message.
    virtual LineKind Classify(std::string_view line) const = 0;

    /// The answer to a kPing line.
    virtual std::string_view PingReply() const { return {}; }
};

/// The driver `common.server` names ("rooms" or "centrifugo"); throws std::runtime_error for anything else.
std::unique_ptr<Driver> MakeDriver(const CommonOptions& common);
std::unique_ptr<Driver> MakeRoomsDriver(const CommonOptions& common);       // rooms_driver.cc
std::unique_ptr<Driver> MakeCentrifugoDriver(const CommonOptions& common);  // centrifugo_driver.cc

/// Calls `fn(line)` for each non-empty '\n'-separated line of a frame (Centrifugo batches replies and pushes
/// into one frame that way; a Rooms frame is one line).
template <class Fn>
void ForEachLine(std::string_view frame, Fn&& fn) {
    while (!frame.empty()) {
        const auto nl = frame.find('\n');
        const std::string_view line = frame.substr(0, nl);
        if (!line.empty()) fn(line);
        if (nl == std::string_view::npos) break;
        frame.remove_prefix(nl + 1);
    }
}

}  // namespace rooms_bench
