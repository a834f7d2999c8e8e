#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/api_client.h"
#include "client/auth_session.h"
#include "client/room_connection.h"
#include "client/timeline.h"
#include "domain/time_source.h"

namespace rooms::tui {

/// What shows the chat: the full-screen UI or the --plain line mode. Called on the controller's executor.
class ChatView {
  public:
    virtual ~ChatView() = default;
    /// Something the view shows changed (rooms, status, online list, pending messages, a notice): redraw.
    virtual void Changed() = 0;
    /// Messages new to a room, oldest first (also in the room's timeline by now).
    virtual void MessagesArrived(const std::string& room_id, const std::vector<client::ChatMessage>& fresh) = 0;
    /// A line for the user that is no message (also in the room's timeline, or the lobby's).
    virtual void Notice(const std::string& text) = 0;
    /// Asks for the password again (the session ended); nullopt when the user declines.
    virtual boost::asio::awaitable<std::optional<std::string>> AskPassword(std::string reason) = 0;
};

/// The chat's state and what the user's commands do, shared by both views: the server's rooms, the joined rooms
/// (each a RoomConnection, kept open while another is shown, so unread counts are real), the one shown, its
/// online list. Unread counts are the messages that arrived in a joined room while another was shown, in this
/// run of the client (the server keeps none). Not thread-safe: everything runs on one executor.
class ChatController : public client::RoomObserver {
  public:
    struct Settings {
        /// --plain: one room at a time (joining another leaves the first), so stdout is one room's stream.
        bool single_room = false;
    };

    /// `clock` stamps the notices (its wall time); it must outlive the controller.
    ChatController(const boost::asio::any_io_executor& executor, client::ApiClient& api, client::AuthSession& auth,
                   ChatView& view, const TimeSource& clock, Settings settings);
    ~ChatController() override;

    /// Lists the rooms, joins `initial_room` when given, and keeps the room and online lists fresh.
    boost::asio::awaitable<void> Start(std::string initial_room);
    /// Does what a submitted line says (ParseCommand): sends a message to the room shown, or runs a command.
    boost::asio::awaitable<void> Execute(std::string line);
    /// Execute, without waiting for it.
    void Submit(std::string line);
    /// Shows the next (+1) or previous (-1) joined room.
    void SwitchRoom(int delta);
    /// Loads older messages of the room shown.
    void ScrollBack();
    /// Leaves every room (close frames), stops refreshing; WaitForQuit then returns.
    void Quit(int exit_code = 0);
    /// Until every joined room has no pending message, at most `max`. False when some are still pending.
    boost::asio::awaitable<bool> WaitUntilSent(std::chrono::milliseconds max);
    /// Until Quit(), then until the rooms' sockets are closed (at most 2 s).
    boost::asio::awaitable<void> WaitForQuit();

    bool quitting() const { return quitting_; }
    int exit_code() const { return exit_code_; }
    const std::vector<client::RoomInfo>& rooms() const { return rooms_; }
    /// The room shown; null when none is.
    client::RoomConnection* active() const;
    bool IsJoined(const std::string& room_id) const { return joined_.count(room_id) != 0; }
    int Unread(const std::string& room_id) const;
    /// Who is in the room shown, as the server last said.
    const std::vector<std::string>& online() const { return online_; }
    /// The notices shown while no room is.
    const client::RoomTimeline& lobby() const { return lobby_; }
    const std::string& nickname() const { return auth_.nickname(); }
    /// The shown room's connection state for the status line: "live", "reconnecting in 2.1 s (attempt 3): ...".
    std::string StatusText() const;

    void OnMessages(const std::string& room_id, const std::vector<client::ChatMessage>& fresh) override;
    void OnChanged(const std::string& room_id) override;
    void OnNotice(const std::string& room_id, const std::string& text) override;

    /// At most this many rooms joined at once (the server allows a user 50 sockets over all its clients).
    static constexpr std::size_t kMaxJoinedRooms = 20;

  private:
    boost::asio::awaitable<void> LoadRooms();
    boost::asio::awaitable<void> Join(std::string name);
    void JoinRoom(const client::RoomInfo& room);
    boost::asio::awaitable<void> Create(std::string name);
    boost::asio::awaitable<void> Who();
    boost::asio::awaitable<void> Logout();
    boost::asio::awaitable<void> RefreshOnline();
    boost::asio::awaitable<void> KeepListsFresh();
    void LeaveRoom(const std::string& room_id);
    void Activate(const std::string& room_id);
    void Notice(const std::string& text);
    std::optional<client::RoomInfo> FindRoom(const std::string& name_or_id) const;
    template <typename Fn>
    void Spawn(Fn&& fn);

    boost::asio::any_io_executor executor_;
    client::ApiClient& api_;
    client::AuthSession& auth_;
    ChatView& view_;
    const TimeSource& clock_;
    Settings settings_;
    std::vector<client::RoomInfo> rooms_;
    std::map<std::string, std::shared_ptr<client::RoomConnection>> joined_;
    std::vector<std::string> join_order_;
    std::string active_;
    std::map<std::string, int> unread_;
    std::vector<std::string> online_;
    bool online_loading_ = false;
    bool online_again_ = false;
    client::RoomTimeline lobby_;
    std::vector<std::shared_ptr<client::RoomConnection>> leaving_;  // stopped, until their sockets close
    bool quitting_ = false;
    int exit_code_ = 0;
    boost::asio::steady_timer quit_;     // expires never; cancelled by Quit()
    boost::asio::steady_timer refresh_;  // paces KeepListsFresh
};

}  // namespace rooms::tui
