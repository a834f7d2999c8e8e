#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "client/auth_session.h"
#include "tui/tty_prompt.h"

namespace rooms::tui {

/// Where the password comes from: the terminal (echo off), or, when asked for with --password-stdin, the first
/// line of stdin (read byte by byte, so the lines after it stay for the chat). Never argv or the environment.
class PasswordSource {
  public:
    PasswordSource(TtyPrompt& tty, bool from_stdin) : tty_(tty), from_stdin_(from_stdin) {}
    /// nullopt when there is none (no terminal; stdin's line already used or empty).
    std::optional<std::string> Get(const std::string& prompt);
    /// The user can be asked questions (register? repeat the password?).
    bool interactive() const { return !from_stdin_ && tty_.available(); }

  private:
    TtyPrompt& tty_;
    bool from_stdin_;
    bool used_ = false;
};

/// Logs `auth`'s user in: the saved session when there is one, else the password (up to 3 tries). When the
/// server refuses it, the user may register the nickname with that password (asked to type it again), or
/// `register_first` registers before logging in. Messages go to the terminal, else stderr. True when logged in.
boost::asio::awaitable<bool> SignIn(client::AuthSession& auth, PasswordSource& passwords, TtyPrompt& tty,
                                    const std::string& server, bool register_first);

}  // namespace rooms::tui
