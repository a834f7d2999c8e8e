#include "tui/chat_controller.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "common/text.h"
#include "tui/commands.h"

namespace rooms::tui {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using client::RoomInfo;
using client::RoomStatus;

namespace {

constexpr auto kListsRefresh = 30s;
constexpr auto kQuitGrace = 2s;
constexpr auto kPoll = 50ms;

asio::awaitable<void> SleepFor(std::chrono::milliseconds delay) {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::string CommaList(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

ChatController::ChatController(const asio::any_io_executor& executor, client::ApiClient& api, client::AuthSession& auth,
                               ChatView& view, const TimeSource& clock, Settings settings)
    : executor_(executor),
      api_(api),
      auth_(auth),
      view_(view),
      clock_(clock),
      settings_(settings),
      quit_(executor, asio::steady_timer::time_point::max()),
      refresh_(executor) {}

ChatController::~ChatController() = default;

template <typename Fn>
void ChatController::Spawn(Fn&& fn) {
    asio::co_spawn(executor_, std::forward<Fn>(fn), [](const std::exception_ptr&) {});
}

client::RoomConnection* ChatController::active() const {
    auto it = joined_.find(active_);
    return it == joined_.end() ? nullptr : it->second.get();
}

int ChatController::Unread(const std::string& room_id) const {
    auto it = unread_.find(room_id);
    return it == unread_.end() ? 0 : it->second;
}

void ChatController::Notice(const std::string& text) {
    if (auto* room = active()) {
        room->timeline().AddNotice(text, FormatTime(clock_.Now()));
    } else {
        lobby_.AddNotice(text, FormatTime(clock_.Now()));
    }
    view_.Notice(text);
}

asio::awaitable<void> ChatController::Start(std::string initial_room) {
    co_await LoadRooms();
    if (!initial_room.empty()) {
        co_await Join(initial_room);
    } else if (!quitting_) {
        std::vector<std::string> names;
        for (const auto& r : rooms_) names.push_back(r.name);
        Notice(names.empty() ? "no rooms yet: /create ROOM makes one" : "rooms: " + CommaList(names));
        Notice("/join ROOM to enter one, /create ROOM to make one, /help for the keys and commands");
    }
    Spawn([this]() -> asio::awaitable<void> { co_await KeepListsFresh(); });
}

asio::awaitable<void> ChatController::KeepListsFresh() {
    while (!quitting_) {
        refresh_.expires_after(kListsRefresh);
        co_await refresh_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (quitting_) break;
        co_await LoadRooms();
        co_await RefreshOnline();
    }
}

asio::awaitable<void> ChatController::LoadRooms() {
    auto result = co_await auth_.Authorized<std::vector<RoomInfo>>(
        [this](std::string token) { return api_.Rooms(std::move(token)); });
    if (quitting_) co_return;
    if (!result.ok()) {
        Notice("the room list could not be loaded: " + result.error);
        co_return;
    }
    rooms_ = std::move(*result.value);
    view_.Changed();
}

std::optional<RoomInfo> ChatController::FindRoom(const std::string& name_or_id) const {
    for (const auto& r : rooms_)
        if (r.name == name_or_id) return r;
    for (const auto& r : rooms_)
        if (r.id == name_or_id) return r;
    return std::nullopt;
}

asio::awaitable<void> ChatController::Execute(std::string line) {
    if (quitting_) co_return;
    const Command command = ParseCommand(line);
    switch (command.kind) {
        case Command::Kind::kMessage: {
            auto* room = active();
            if (!room) {
                Notice("no room is shown: /join ROOM first");
            } else if (!room->Send(command.argument)) {
                Notice("not sent: " + std::to_string(client::RoomConnection::kMaxPending) +
                       " messages are waiting for the server already");
            }
            break;
        }
        case Command::Kind::kJoin:
            co_await Join(command.argument);
            break;
        case Command::Kind::kCreate:
            co_await Create(command.argument);
            break;
        case Command::Kind::kLeave:
            if (active_.empty()) {
                Notice("no room to leave");
            } else {
                const std::string name = active()->room().name;
                LeaveRoom(active_);
                Notice("left " + name);
            }
            break;
        case Command::Kind::kWho:
            co_await Who();
            break;
        case Command::Kind::kRooms: {
            co_await LoadRooms();
            std::vector<std::string> names;
            for (const auto& r : rooms_) names.push_back(r.name + (IsJoined(r.id) ? " (joined)" : ""));
            Notice(names.empty() ? "no rooms yet" : "rooms: " + CommaList(names));
            break;
        }
        case Command::Kind::kHelp: {
            std::string_view help = HelpText();
            while (!help.empty()) {
                const auto end = help.find('\n');
                Notice(std::string(help.substr(0, end)));
                help = end == std::string_view::npos ? std::string_view() : help.substr(end + 1);
            }
            break;
        }
        case Command::Kind::kLogout:
            co_await Logout();
            break;
        case Command::Kind::kQuit:
            Quit(0);
            break;
        case Command::Kind::kInvalid:
            Notice(command.argument);
            break;
    }
}

void ChatController::Submit(std::string line) {
    Spawn([this, line = std::move(line)]() -> asio::awaitable<void> { co_await Execute(line); });
}

asio::awaitable<void> ChatController::Join(std::string name) {
    auto room = FindRoom(name);
    if (!room) {
        co_await LoadRooms();
        room = FindRoom(name);
    }
    if (quitting_) co_return;
    if (!room) {
        Notice("no room \"" + name + "\" on the server: /create " + name + " makes it");
        co_return;
    }
    JoinRoom(*room);
}

void ChatController::JoinRoom(const RoomInfo& room) {
    if (!IsJoined(room.id)) {
        if (settings_.single_room) {
            while (!join_order_.empty()) LeaveRoom(join_order_.front());
        }
        if (joined_.size() >= kMaxJoinedRooms) {
            Notice("at most " + std::to_string(kMaxJoinedRooms) + " rooms at once: /leave one first");
            return;
        }
        auto connection = std::make_shared<client::RoomConnection>(executor_, api_, auth_, room, *this);
        joined_[room.id] = connection;
        join_order_.push_back(room.id);
        connection->Start();
    }
    Activate(room.id);
}

void ChatController::Activate(const std::string& room_id) {
    active_ = room_id;
    unread_.erase(room_id);
    online_.clear();
    view_.Changed();
    Spawn([this]() -> asio::awaitable<void> { co_await RefreshOnline(); });
}

void ChatController::LeaveRoom(const std::string& room_id) {
    auto it = joined_.find(room_id);
    if (it == joined_.end()) return;
    it->second->Stop();
    std::erase_if(leaving_, [](const auto& room) { return room->finished(); });
    leaving_.push_back(it->second);
    joined_.erase(it);
    std::erase(join_order_, room_id);
    unread_.erase(room_id);
    if (active_ == room_id) {
        active_.clear();
        online_.clear();
        if (!join_order_.empty()) Activate(join_order_.back());
    }
    view_.Changed();
}

void ChatController::SwitchRoom(int delta) {
    if (join_order_.empty()) return;
    const auto n = static_cast<int>(join_order_.size());
    int index = 0;
    for (int i = 0; i < n; ++i)
        if (join_order_[i] == active_) index = i;
    Activate(join_order_[static_cast<std::size_t>(((index + delta) % n + n) % n)]);
}

void ChatController::ScrollBack() {
    if (auto it = joined_.find(active_); it != joined_.end()) {
        Spawn([room = it->second]() -> asio::awaitable<void> { co_await room->LoadOlder(); });
    }
}

asio::awaitable<void> ChatController::Create(std::string name) {
    auto result = co_await auth_.Authorized<RoomInfo>(
        [this, &name](std::string token) { return api_.CreateRoom(std::move(token), name); });
    if (quitting_) co_return;
    if (!result.ok()) {
        Notice("the room was not created: " + result.error);
        co_return;
    }
    rooms_.push_back(*result.value);
    JoinRoom(*result.value);
}

asio::awaitable<void> ChatController::RefreshOnline() {
    if (online_loading_) {
        online_again_ = true;  // the fetch under way may predate the change: one more after it
        co_return;
    }
    online_loading_ = true;
    for (int round = 0; round < 3 && !quitting_ && !active_.empty(); ++round) {
        online_again_ = false;
        const std::string room_id = active_;
        auto result = co_await auth_.Authorized<std::vector<std::string>>(
            [this, &room_id](std::string token) { return api_.Clients(std::move(token), room_id); });
        if (quitting_) break;
        if (result.ok() && room_id == active_) {
            online_ = std::move(*result.value);
            view_.Changed();
        }
        if (!online_again_ && room_id == active_) break;
    }
    online_loading_ = false;
}

asio::awaitable<void> ChatController::Who() {
    auto* room = active();
    if (!room) {
        Notice("no room is shown: /join ROOM first");
        co_return;
    }
    const std::string room_id = active_;
    const std::string name = room->room().name;
    auto result = co_await auth_.Authorized<std::vector<std::string>>(
        [this, &room_id](std::string token) { return api_.Clients(std::move(token), room_id); });
    if (quitting_) co_return;
    if (!result.ok()) {
        Notice("who is in " + name + " is unknown: " + result.error);
        co_return;
    }
    if (room_id == active_) online_ = *result.value;
    Notice("in " + name + " now (" + std::to_string(result.value->size()) + "): " + CommaList(*result.value));
}

asio::awaitable<void> ChatController::Logout() {
    co_await auth_.Logout();
    Notice("logged out: the saved session is deleted");
    Quit(0);
}

void ChatController::Quit(int exit_code) {
    if (quitting_) return;
    quitting_ = true;
    exit_code_ = exit_code;
    for (auto& [id, room] : joined_) {
        room->Stop();
        leaving_.push_back(room);
    }
    joined_.clear();
    auth_.Stop();
    refresh_.cancel();
    quit_.cancel();
    view_.Changed();
}

asio::awaitable<bool> ChatController::WaitUntilSent(std::chrono::milliseconds max) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!quitting_) {
        bool pending = false;
        for (const auto& [id, room] : joined_) pending = pending || !room->pending().empty();
        if (!pending) co_return true;
        if (std::chrono::steady_clock::now() >= deadline) co_return false;
        co_await SleepFor(kPoll);
    }
    co_return false;
}

asio::awaitable<void> ChatController::WaitForQuit() {
    if (!quitting_) co_await quit_.async_wait(asio::as_tuple(asio::use_awaitable));
    const auto deadline = std::chrono::steady_clock::now() + kQuitGrace;
    while (std::chrono::steady_clock::now() < deadline) {
        bool open = false;
        for (const auto& room : leaving_) open = open || !room->finished();
        if (!open) break;
        co_await SleepFor(kPoll);
    }
}

std::string ChatController::StatusText() const {
    auto* room = active();
    if (!room) return "no room shown";
    const RoomStatus& s = room->status();
    std::string text;
    switch (s.state) {
        case RoomStatus::State::kConnecting:
            text = s.attempt > 0 ? "connecting (attempt " + std::to_string(s.attempt + 1) + ")" : "connecting";
            break;
        case RoomStatus::State::kLive:
            text = "live";
            break;
        case RoomStatus::State::kWaiting: {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(s.retry_at - std::chrono::steady_clock::now());
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%.1f", std::max(0.0, static_cast<double>(left.count()) / 1000.0));
            text = "reconnecting in " + std::string(seconds) + " s (attempt " + std::to_string(s.attempt) +
                   "): " + s.reason;
            break;
        }
        case RoomStatus::State::kGone:
            text = "closed: " + s.reason;
            break;
        case RoomStatus::State::kStopped:
            text = "left";
            break;
    }
    if (!room->pending().empty()) text += " | " + std::to_string(room->pending().size()) + " unsent";
    return text;
}

void ChatController::OnMessages(const std::string& room_id, const std::vector<client::ChatMessage>& fresh) {
    bool presence = false;
    int unread = 0;
    for (const auto& m : fresh) {
        presence = presence || m.IsPresence();
        if (m.type == "message" && m.nickname != auth_.nickname()) ++unread;
    }
    if (room_id != active_ && unread > 0) unread_[room_id] += unread;
    view_.MessagesArrived(room_id, fresh);
    if (room_id == active_ && presence) Spawn([this]() -> asio::awaitable<void> { co_await RefreshOnline(); });
}

void ChatController::OnChanged(const std::string&) { view_.Changed(); }

void ChatController::OnNotice(const std::string& room_id, const std::string& text) {
    auto it = joined_.find(room_id);
    const std::string prefix = it == joined_.end() ? "" : it->second->room().name + ": ";
    if (it != joined_.end()) it->second->timeline().AddNotice(text, FormatTime(clock_.Now()));
    view_.Notice(prefix + text);
}

}  // namespace rooms::tui
