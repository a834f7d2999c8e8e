#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "tui/chat_controller.h"
#include "tui/layout.h"
#include "tui/line_editor.h"

namespace rooms::tui {

/// The full-screen terminal UI (ncursesw): the room list, the shown room's messages, who is online, a status line
/// and the composer (see ComputeLayout and HelpText for the keys). Input is read when stdin is readable, so the
/// UI never blocks the executor; a resize (SIGWINCH) redraws for the new size. Not thread-safe.
class CursesView : public ChatView {
  public:
    CursesView(const boost::asio::any_io_executor& executor, std::string server_label);
    ~CursesView() override;  // gives the terminal back (endwin) if Run did not

    /// Takes the terminal, starts the controller (Start(initial_room)) and handles keys until it quits. Throws
    /// std::runtime_error when ncurses cannot drive the terminal.
    boost::asio::awaitable<void> Run(ChatController& controller, std::string initial_room);

    void Changed() override;
    void MessagesArrived(const std::string& room_id, const std::vector<client::ChatMessage>& fresh) override;
    void Notice(const std::string& text) override;
    boost::asio::awaitable<std::optional<std::string>> AskPassword(std::string reason) override;

  private:
    void Open();
    void Close();
    void Draw();
    void DrawRooms(const Rect& area);
    void DrawOnline(const Rect& area);
    void DrawMessages(const Rect& area);
    void DrawStatus(const Rect& area);
    void DrawComposer(const Rect& area, const LineEditor::View& text, const std::string& prompt);
    void ReadInput();
    void HandleKey(bool is_key_code, unsigned key);
    void Enter();
    void Resize();
    boost::asio::awaitable<void> ReadKeys();
    boost::asio::awaitable<void> WatchResize();
    boost::asio::awaitable<void> Tick();

    boost::asio::any_io_executor executor_;
    std::string server_label_;
    ChatController* controller_ = nullptr;
    void* screen_ = nullptr;  // ncurses' SCREEN, while open
    std::unique_ptr<boost::asio::posix::stream_descriptor> input_;
    LineEditor editor_;
    bool open_ = false;
    bool redraw_posted_ = false;
    int scroll_ = 0;        // message rows scrolled up from the bottom
    int message_rows_ = 0;  // the message pane's height at the last draw
    bool at_top_ = false;   // the last draw showed the oldest loaded message
    bool asking_password_ = false;
    std::string password_reason_;
    std::optional<std::string> password_;
    boost::asio::steady_timer password_wait_;
    boost::asio::steady_timer tick_;
};

}  // namespace rooms::tui
