#pragma once

#include <optional>
#include <string>

namespace rooms::tui {

/// Questions asked on the controlling terminal (/dev/tty), before the full-screen UI starts or in --plain mode,
/// so that stdin and stdout may be pipes. Blocks the calling thread until the user answers.
class TtyPrompt {
  public:
    TtyPrompt();
    ~TtyPrompt();
    TtyPrompt(const TtyPrompt&) = delete;
    TtyPrompt& operator=(const TtyPrompt&) = delete;

    /// False when the process has no controlling terminal.
    bool available() const { return fd_ >= 0; }
    /// A line as typed, without its newline; nullopt at end of input or without a terminal.
    std::optional<std::string> ReadLine(const std::string& prompt);
    /// A line typed with echo off (the terminal's settings come back afterwards, also on Ctrl+C).
    std::optional<std::string> ReadSecret(const std::string& prompt);
    /// A yes/no question; true for an answer starting with y or Y.
    bool Confirm(const std::string& question);
    void Say(const std::string& line);

  private:
    std::optional<std::string> Read();

    int fd_ = -1;
};

}  // namespace rooms::tui
