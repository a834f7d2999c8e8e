#include "services/chat_session.h"

#include <unordered_set>

namespace rooms {

ChatSession::ChatSession(ChatSessionDeps deps, RoomId room, Principal who, ConnectionId connection)
    : deps_(deps),
      room_(room),
      who_(std::move(who)),
      connection_(std::move(connection)),
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

std::optional<Error> ChatSession::Send(std::string content, std::function<void(const Error&)> on_refused) {
    if (!deps_.user_messages.Take(user_key_).allowed)
        return Error{ErrorCode::kRateLimited, "message not sent: too many messages, slow down"};
    if (auto err = deps_.chat.Validate(content)) return err;
    deps_.chat.Publish(deps_.chat.Stamp(room_, who_, MessageType::kMessage, std::move(content)),
                       [on_refused = std::move(on_refused)](std::optional<Error> err) {
                           if (err) on_refused(Error{err->code, "message not sent: " + err->message});
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
