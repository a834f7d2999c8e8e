#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/rate_limiter.h"
#include "domain/error.h"
#include "domain/ports.h"
#include "metrics/metrics.h"
#include "services/chat_service.h"
#include "services/presence_notices.h"
#include "services/room_hub.h"

namespace rooms {

/// What the chat sessions count: rooms_chat_messages_accepted_total (the bus took the message) and
/// rooms_chat_messages_refused_total{reason} (rate_limited, invalid_argument, too_large, unavailable, ...: the
/// ErrorCode of the refusal, a fixed set). Default: counts nothing.
struct ChatMetrics {
    Counter accepted;
    CounterFamily refused;
    static ChatMetrics From(Metrics& metrics);
};

/// The `reason` label of a refusal.
const char* RefusalReason(ErrorCode code);

/// What every ChatSession of a gateway shares.
struct ChatSessionDeps {
    ChatService& chat;
    RoomHub& hub;
    RateLimiter& user_messages;  // chat.user_messages_per_s, keyed "user:<id>"
    PresenceNotices& notices;    // presence and the join/leave notices, debounced and rate limited
    ChatMetrics metrics = {};
    Tracer* tracer = nullptr;  // null: no spans, no trace context on the messages
};

/// One connection's part in one room's chat: the use case behind a room WebSocket. The transport
/// (http/websocket_session) only moves frames; what joining, sending and leaving mean is here:
///
///   Enter    joins the room's fan-out, then reads the history: live messages wait in the member's queue
///            meanwhile and those the history already holds are discarded from it, so nothing is missed or doubled;
///   Announce once the history frame is with the client: lists the connection as present (chat goes on without
///            presence, e.g. Redis down) and publishes the join notice (PresenceNotices: unless it continues a
///            connection of the same user that left within the grace, or the user's notices are over their rate);
///   Send     a text frame from the client: the per-user limit, validation, stamp and publish;
///   Leave    leaves the fan-out and, once announced, presence, and publishes the leave notice (both after the
///            grace, PresenceNotices).
///
/// Called by one strand at a time. Enter, Announce and Leave block (stores, presence): call them on a worker.
class ChatSession {
  public:
    /// `trace`: where the socket's trace is (its handshake's span); each message's `chat.send` span is its child,
    /// or the root of a trace of its own when it is not valid.
    ChatSession(ChatSessionDeps deps, RoomId room, Principal who, ConnectionId connection, TraceContext trace = {});

    /// The history to send first, newest first. Throws what the store throws (the session is then left).
    std::vector<Message> Enter(const std::shared_ptr<HubMember>& member);
    void Announce();
    /// nullopt when the message went to the bus, else the error to show the sender (its message is the text of the
    /// error frame). When the bus then refuses it, `on_refused` gets that error, on the bus's thread. Traced as
    /// `chat.send` with children `chat.validate` and `chat.publish` (ended when the bus answers); the message carries
    /// `chat.publish`'s context on.
    std::optional<Error> Send(std::string content, std::function<void(const Error&)> on_refused);
    /// Idempotent; a no-op before Enter.
    void Leave();

    RoomId room() const { return room_; }
    const Principal& who() const { return who_; }
    const ConnectionId& connection() const { return connection_; }

  private:
    Span StartSpan(std::string_view name, SpanKind kind, const TraceContext& parent) const;

    ChatSessionDeps deps_;
    const RoomId room_;
    const Principal who_;
    const ConnectionId connection_;
    const TraceContext trace_;
    const std::string user_key_;  // this user's bucket in deps_.user_messages
    const HubMember* member_ = nullptr;
    bool announced_ = false;
};

}  // namespace rooms
