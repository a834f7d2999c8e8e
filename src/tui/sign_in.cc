#include "tui/sign_in.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace rooms::tui {

namespace asio = boost::asio;
using client::AuthStatus;

namespace {

constexpr int kAttempts = 3;

void Tell(TtyPrompt& tty, const std::string& text) {
    if (tty.available()) {
        tty.Say(text);
    } else {
        std::fprintf(stderr, "rooms: %s\n", text.c_str());
    }
}

std::optional<std::string> ReadStdinLine() {
    std::string line;
    char c;
    while (line.size() < 4096) {
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') break;
        line += c;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return std::nullopt;
    return line;
}

}  // namespace

std::optional<std::string> PasswordSource::Get(const std::string& prompt) {
    if (!from_stdin_) return tty_.ReadSecret(prompt);
    if (used_) return std::nullopt;
    used_ = true;
    return ReadStdinLine();
}

asio::awaitable<bool> SignIn(client::AuthSession& auth, PasswordSource& passwords, TtyPrompt& tty,
                             const std::string& server, bool register_first) {
    const std::string& nick = auth.nickname();
    client::AuthOutcome resumed = co_await auth.ResumeStored();
    if (resumed.ok()) co_return true;
    if (resumed.status == AuthStatus::kUnavailable) {
        Tell(tty, "cannot reach " + server + ": " + resumed.message);
        co_return false;
    }
    if (resumed.status == AuthStatus::kRefused) Tell(tty, "the saved session of " + nick + " has ended; log in again");

    if (register_first) {
        auto password = passwords.Get("New password for " + nick + " on " + server + ": ");
        if (password && passwords.interactive() && passwords.Get("Repeat the password: ") != password) {
            Tell(tty, "the passwords differ");
            co_return false;
        }
        if (!password) {
            Tell(tty, "no password given");
            co_return false;
        }
        client::AuthOutcome registered = co_await auth.Register(*password);
        if (registered.status == AuthStatus::kTaken) {
            Tell(tty, nick + " exists already; logging in");
        } else if (!registered.ok()) {
            Tell(tty, "registration failed: " + registered.message);
            co_return false;
        }
        client::AuthOutcome login = co_await auth.Login(*password);
        if (!login.ok()) Tell(tty, "login failed: " + login.message);
        co_return login.ok();
    }

    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        std::string prompt = "Password for ";
        prompt += nick;
        prompt += " on ";
        prompt += server;
        prompt += ": ";
        auto password = passwords.Get(prompt);
        if (!password || password->empty()) {
            Tell(tty, tty.available() ? "no password given"
                                      : "no terminal to ask the password on: use --password-stdin with --plain");
            co_return false;
        }
        client::AuthOutcome login = co_await auth.Login(*password);
        if (login.ok()) co_return true;
        if (login.status == AuthStatus::kUnavailable) {
            Tell(tty, "cannot reach " + server + ": " + login.message);
            co_return false;
        }
        if (login.status != AuthStatus::kRefused) {
            Tell(tty, "login failed: " + login.message);
            continue;
        }
        if (!passwords.interactive()) {
            Tell(tty, "login failed: " + login.message + " (a new user? add --register)");
            co_return false;
        }
        // The server says the same for a wrong password and an unknown nickname (it does not tell which exist).
        Tell(tty, "Login failed: the password is wrong, or there is no user " + nick + " on this server.");
        if (!tty.Confirm("Register " + nick + " as a new user with this password?")) continue;
        if (tty.ReadSecret("Repeat the password: ") != password) {
            Tell(tty, "the passwords differ; not registered");
            continue;
        }
        client::AuthOutcome registered = co_await auth.Register(*password);
        if (registered.status == AuthStatus::kTaken) {
            Tell(tty, nick + " is taken, so the password was wrong");
            continue;
        }
        if (!registered.ok()) {
            Tell(tty, "registration failed: " + registered.message);
            continue;
        }
        Tell(tty, "registered " + nick);
        login = co_await auth.Login(*password);
        if (login.ok()) co_return true;
        Tell(tty, "login failed: " + login.message);
    }
    co_return false;
}

}  // namespace rooms::tui
