#include "services/chat_session.h"

#include <unordered_set>

namespace rooms {

ChatSession::ChatSession(ChatSessionDeps deps, RoomId room, Principal who, ConnectionId connection, TraceContext trace)
    : deps_(deps),
      room_(room),
      who_(std::move(who)),
      connection_(std::move(connection)),
      trace_(trace),
      user_key_("user:" + std::to_string(who_.user_id)) {}

std::vector<Message> ChatSession::Enter(const std::shared_ptr<HubMember>& member) {
    member_ = member.get();
    deps_.hub.Join(room_, member);
    std::vector<Message> history = deps_.chat.Recent(room_);
    std::unordered_set<MessageId> ids;
    for (const auto& m : history) ids.insert(m.id);
    member->Discard(ids);
    return history;
}

void ChatSession::Announce() {
    deps_.notices.Arrived(room_, who_, connection_);
    announced_ = true;
}

ChatMetrics ChatMetrics::From(Metrics& metrics) {
    return ChatMetrics{
        metrics.AddCounter("rooms_chat_messages_accepted_total", "Chat messages the message bus accepted."),
        metrics.Counters("rooms_chat_messages_refused_total",
                         "Chat messages refused (rate limit, validation, the bus), by reason."),
    };
}

const char* RefusalReason(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument:
            return "invalid_argument";
        case ErrorCode::kUnauthenticated:
            return "unauthenticated";
        case ErrorCode::kNotFound:
            return "not_found";
        case ErrorCode::kConflict:
            return "conflict";
        case ErrorCode::kTooLarge:
            return "too_large";
        case ErrorCode::kRateLimited:
            return "rate_limited";
        case ErrorCode::kUnavailable:
            return "unavailable";
        case ErrorCode::kInternal:
            break;
    }
    return "internal";
}

Span ChatSession::StartSpan(std::string_view name, SpanKind kind, const TraceContext& parent) const {
    return deps_.tracer ? deps_.tracer->StartSpan(name, kind, parent) : Span(parent);
}

std::optional<Error> ChatSession::Send(std::string content, std::function<void(const Error&)> on_refused) {
    const ChatMetrics& metrics = deps_.metrics;
    Span send = StartSpan("chat.send", SpanKind::kServer, trace_);
    if (send.recording()) {
        send.SetAttribute("rooms.room_id", static_cast<std::int64_t>(room_));
        send.SetAttribute("rooms.connection", connection_);
    }
    const auto refuse = [&](const Error& err) {
        metrics.refused.With({{"reason", RefusalReason(err.code)}}).Inc();
        send.SetError(err.message);
        return err;
    };
    if (!deps_.user_messages.Take(user_key_).allowed)
        return refuse(Error{ErrorCode::kRateLimited, "message not sent: too many messages, slow down"});
    {
        Span validate = StartSpan("chat.validate", SpanKind::kInternal, send.context());
        if (auto err = deps_.chat.Validate(content)) {
            validate.SetError(err->message);
            return refuse(*err);
        }
    }
    Message message = deps_.chat.Stamp(room_, who_, MessageType::kMessage, std::move(content));
    Span publish = StartSpan("chat.publish", SpanKind::kProducer, send.context());
    message.trace = publish.context();
    if (publish.recording()) publish.SetAttribute("rooms.message_id", static_cast<std::int64_t>(message.id));
    // The bus's answer ends the publish span (std::function needs a copyable handler: shared, when recording).
    auto span = publish.recording() ? std::make_shared<Span>(std::move(publish)) : nullptr;
    deps_.chat.Publish(std::move(message),
                       [on_refused = std::move(on_refused), metrics, span](std::optional<Error> err) {
                           if (!err) {
                               metrics.accepted.Inc();
                               if (span) span->End();
                               return;
                           }
                           metrics.refused.With({{"reason", RefusalReason(err->code)}}).Inc();
                           if (span) {
                               span->SetError(err->message);
                               span->End();
                           }
                           on_refused(Error{err->code, "message not sent: " + err->message});
                       });
    return std::nullopt;
}

void ChatSession::Leave() {
    if (!member_) return;
    deps_.hub.Leave(room_, member_);
    member_ = nullptr;
    if (!announced_) return;
    announced_ = false;
    deps_.notices.Departed(room_, who_, connection_);
}

}  // namespace rooms
