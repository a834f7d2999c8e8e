#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tui/chat_controller.h"
#include "tui/tty_prompt.h"

namespace rooms::tui {

class LineReader;

/// --plain: for pipes and scripts. Each message of the room shown goes to stdout as one PlainLine; notices and
/// connection changes go to stderr; every line read from stdin is submitted (a message, or a /command). At the end
/// of stdin it waits (at most `drain_timeout`) until the server has echoed every message sent, then quits: exit
/// code 0, or 1 when some were not confirmed. Not thread-safe.
class PlainView : public ChatView {
  public:
    PlainView(boost::asio::any_io_executor executor, TtyPrompt& tty,
              std::chrono::milliseconds drain_timeout = std::chrono::seconds(10));
    ~PlainView() override;

    /// Starts the controller, reads stdin to its end (or until the controller quits), returns the exit code.
    boost::asio::awaitable<int> Run(ChatController& controller, std::string initial_room);

    void Changed() override;
    void MessagesArrived(const std::string& room_id, const std::vector<client::ChatMessage>& fresh) override;
    void Notice(const std::string& text) override;
    /// Asks on the terminal when there is one (blocking the executor while the user types); else nullopt.
    boost::asio::awaitable<std::optional<std::string>> AskPassword(std::string reason) override;

  private:
    boost::asio::any_io_executor executor_;
    TtyPrompt& tty_;
    std::chrono::milliseconds drain_timeout_;
    ChatController* controller_ = nullptr;
    std::unique_ptr<LineReader> reader_;           // stdin, while Run reads it
    std::map<std::string, std::string> reported_;  // room id -> the last state written to stderr
};

}  // namespace rooms::tui
