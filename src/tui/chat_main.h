#pragma once

// `rooms chat`: the terminal client. main() adds the subcommand and calls RunChat when it was chosen.

#include <string>

namespace CLI {
class App;
}

namespace rooms::tui {

struct ChatOptions {
    std::string url = "http://localhost:8080";
    std::string user;        // empty: the one saved for this URL, else asked
    std::string room;        // joined at start when given
    std::string api_prefix;  // empty: the URL's path, else detected (bare paths, then /api)
    std::string config_dir;  // empty: $XDG_CONFIG_HOME/rooms or ~/.config/rooms
    bool plain = false;
    bool insecure = false;        // https without certificate verification
    bool password_stdin = false;  // --plain: the first line of stdin is the password
    bool register_user = false;   // create the account first
};

/// Adds `chat` with its flags to `app`, writing them into `options`; returns the subcommand.
CLI::App* AddChatCommand(CLI::App& app, ChatOptions& options);

/// Runs the client until the user quits. Returns the process exit code: 0, 1 (could not log in or reach the
/// server; --plain: messages not confirmed), 2 (bad options).
int RunChat(const ChatOptions& options);

}  // namespace rooms::tui
