#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "client/api_client.h"
#include "client/auth_session.h"
#include "client/backoff.h"
#include "client/timeline.h"
#include "client/wire.h"

namespace rooms::client {

/// Told what happens in a room. Called on the connection's executor, never after RoomConnection::Stop().
class RoomObserver {
  public:
    virtual ~RoomObserver() = default;
    /// Messages the room did not show before, oldest first (live ones one at a time; a join's merge at once).
    virtual void OnMessages(const std::string& room_id, const std::vector<ChatMessage>& fresh) = 0;
    /// The status, the pending messages or the scroll-back changed.
    virtual void OnChanged(const std::string& room_id) = 0;
    /// Something for the user: a message the server refused, a gap that could not be closed.
    virtual void OnNotice(const std::string& room_id, const std::string& text) = 0;
};

struct RoomStatus {
    enum class State { kConnecting, kLive, kWaiting, kGone, kStopped };
    State state = State::kConnecting;
    int attempt = 0;                                 // reconnection attempts since the last connection that held
    std::chrono::steady_clock::time_point retry_at;  // kWaiting: when the next attempt starts
    std::string reason;                              // why the last connection ended or failed
};

/// A message typed but not yet seen back from the server.
struct PendingMessage {
    std::string content;
    bool written = false;     // written on the current connection
    bool maybe_sent = false;  // written on an earlier connection that ended before the echo came
};

/// One joined room: its WebSocket, kept open across drops, and its timeline.
///
/// Reconnects on every end of the socket — a network drop, a dead connection (idle timeout), a server close
/// (1001 shutdown, 1008 policy, ...) — after a delay from Backoff (0.5 s doubling to 30 s, with jitter), reset
/// once a connection held for 10 s. A 401 handshake renews the access token and tries again at once; 404 ends
/// it (the room is gone). Each join's history frame is merged into the timeline, paging back to close gaps.
/// Sent messages stay pending until their echo comes (the server sends every message to its sender too); those
/// written on a connection that ended are written again after the next join's merge, unless the merge shows
/// that the server has them. Not thread-safe: use from its executor; keep it in a shared_ptr (its coroutines
/// hold one).
class RoomConnection : public std::enable_shared_from_this<RoomConnection> {
  public:
    RoomConnection(const boost::asio::any_io_executor& executor, ApiClient& api, AuthSession& auth, RoomInfo room,
                   RoomObserver& observer);

    void Start();
    /// Closes the socket (a close frame when it can) and ends the reconnection loop; idempotent.
    void Stop();
    /// Queues `content`; false when too many messages are pending already (kMaxPending).
    bool Send(std::string content);
    /// Scroll-back: loads one page older than the oldest message shown.
    boost::asio::awaitable<void> LoadOlder();

    const RoomInfo& room() const { return room_; }
    RoomTimeline& timeline() { return timeline_; }
    const RoomTimeline& timeline() const { return timeline_; }
    const RoomStatus& status() const { return status_; }
    const std::deque<PendingMessage>& pending() const { return pending_; }
    /// True once the loop has ended after Stop() or for good (kGone).
    bool finished() const { return finished_; }

    static constexpr std::size_t kMaxPending = 100;
    /// Scroll-back and gap pages: the API's largest.
    static constexpr int kPageSize = 100;
    /// A gap is closed from at most this many pages (10,000 messages); beyond, a gap line says so.
    static constexpr int kMaxGapPages = 100;

  private:
    boost::asio::awaitable<void> Run();
    /// Reads the socket until it ends; returns the server's close code (-1 without a close frame).
    boost::asio::awaitable<int> Live(std::unique_ptr<RoomSocket> socket);
    boost::asio::awaitable<void> MergeHistory(std::vector<ChatMessage> history);
    boost::asio::awaitable<void> WriteLoop();
    boost::asio::awaitable<void> WaitBeforeRetry(const std::string& reason);
    void HandleFrame(const std::string& text);
    void Confirm(const std::vector<ChatMessage>& fresh);
    void KickWriter();
    void SetState(RoomStatus::State state, std::string reason = {});

    boost::asio::any_io_executor executor_;
    ApiClient& api_;
    AuthSession& auth_;
    RoomInfo room_;
    RoomObserver& observer_;
    RoomTimeline timeline_;
    RoomStatus status_;
    Backoff backoff_;
    std::deque<PendingMessage> pending_;
    std::shared_ptr<RoomSocket> socket_;  // shared with the writer, which may outlive a connection by one write
    bool live_ = false;                   // the history is merged: writes may go out
    bool writing_ = false;
    bool loading_older_ = false;
    bool stopped_ = false;
    bool finished_ = false;
    boost::asio::steady_timer retry_timer_;
};

}  // namespace rooms::client
