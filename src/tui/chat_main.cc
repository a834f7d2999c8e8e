#include "tui/chat_main.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "client/api_client.h"
#include "client/auth_session.h"
#include "client/server_url.h"
#include "client/token_store.h"
#include "client/transport.h"
#include "domain/time_source.h"
#include "tui/chat_controller.h"
#include "tui/curses_view.h"
#include "tui/display_width.h"
#include "tui/plain_view.h"
#include "tui/sign_in.h"
#include "tui/terminal_check.h"
#include "tui/tty_prompt.h"

namespace rooms::tui {

namespace asio = boost::asio;

CLI::App* AddChatCommand(CLI::App& app, ChatOptions& o) {
    auto* chat = app.add_subcommand("chat", "chat in the terminal: a full-screen client of a Rooms server");
    chat->add_option("--url", o.url, "the server (http:// or https://, with the API's path when it has one)")
        ->capture_default_str();
    chat->add_option("--user", o.user, "nickname (default: the one saved for this server, else asked)");
    chat->add_option("--room", o.room, "join this room (name or id) at start");
    chat->add_option("--api-prefix", o.api_prefix,
                     "path of the API on the server, e.g. /api (default: detected, bare paths first)");
    chat->add_option("--config-dir", o.config_dir, "where sessions are saved (default $XDG_CONFIG_HOME/rooms)");
    chat->add_flag("--plain", o.plain, "line mode for pipes and scripts: messages to stdout, stdin lines sent");
    chat->add_flag("--password-stdin", o.password_stdin, "with --plain: read the password from stdin's first line");
    chat->add_flag("--register", o.register_user, "register the nickname first (asks the password twice)");
    chat->add_flag("--insecure", o.insecure, "https: do not verify the server's certificate");
    return chat;
}

namespace {

/// Runs `task` on `io` until `io` has no work left (or the task's end stops it) and returns its result. Each
/// phase of the client (find the API, log in, chat) is one such run, so the objects that outlive a phase live on
/// RunChat's stack rather than in one large coroutine frame.
template <typename T>
T RunPhase(asio::io_context& io, asio::awaitable<T> task, bool stop_at_end) {
    std::optional<T> result;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(task), [&](const std::exception_ptr& e, T value) {
        error = e;
        if (!e) result = std::move(value);
        if (stop_at_end) io.stop();
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    if (!result) throw std::runtime_error("interrupted");
    return std::move(*result);
}

asio::awaitable<std::optional<std::string>> FindApi(client::Transport& transport, std::string prefix) {
    if (!prefix.empty() || !transport.url().path_prefix.empty()) co_return prefix == "/" ? "" : prefix;
    std::string error;
    auto detected = co_await client::ApiClient::DetectPrefix(transport, error);
    if (!detected) std::fprintf(stderr, "rooms chat: %s\n", error.c_str());
    co_return detected;
}

/// The nickname: --user, else the only one saved for this server, else asked; empty when none.
std::string ChooseNickname(const ChatOptions& o, const client::TokenStore& store, TtyPrompt& tty,
                           const std::string& server) {
    if (!o.user.empty()) return o.user;
    if (auto saved = store.Nicknames(server); saved.size() == 1) return saved.front();
    return tty.ReadLine("Nickname on " + server + ": ").value_or("");
}

asio::awaitable<int> Chat(const ChatOptions& o, const client::ServerUrl& url, client::ApiClient& api,
                          client::AuthSession& auth, TtyPrompt& tty) {
    auto executor = co_await asio::this_coro::executor;
    std::unique_ptr<CursesView> curses;
    std::unique_ptr<PlainView> plain;
    ChatView* view;
    if (o.plain) {
        plain = std::make_unique<PlainView>(executor, tty);
        view = plain.get();
    } else {
        curses = std::make_unique<CursesView>(executor, url.HostHeader());
        view = curses.get();
    }
    auto controller = std::make_unique<ChatController>(executor, api, auth, *view, RealTimeSource::Instance(),
                                                       ChatController::Settings{.single_room = o.plain});
    auth.SetPasswordPrompt([view](std::string reason) { return view->AskPassword(std::move(reason)); });
    auth.SetWarn([c = controller.get(), view](const std::string& text) {
        if (!c->quitting()) view->Notice(text);
    });
    auth.SetOnEnded([c = controller.get()] { c->Quit(1); });  // no password given: nothing more can work
    asio::co_spawn(executor, auth.KeepFresh(), asio::detached);
    auto stop = std::make_unique<asio::signal_set>(executor, SIGINT, SIGTERM, SIGHUP);
    stop->async_wait([c = controller.get()](const boost::system::error_code& ec, int) {
        if (!ec) c->Quit(0);
    });
    int code = 0;
    if (plain) {
        code = co_await plain->Run(*controller, o.room);
    } else {
        co_await curses->Run(*controller, o.room);
        code = controller->exit_code();
    }
    stop->cancel();
    co_await auth.WaitIdle(std::chrono::seconds(15));  // a renewal under way: its new token must be saved
    if (auth.ended()) {
        std::fprintf(stderr, "rooms chat: the session has ended; run again to log in\n");
        if (code == 0) code = 1;
    }
    co_return code;
}

int Run(const ChatOptions& o, const client::ServerUrl& url) {
    asio::io_context io;
    client::Transport transport(io.get_executor(), url, !o.insecure);
    auto prefix = RunPhase(io, FindApi(transport, o.api_prefix), false);
    if (!prefix) return 1;
    client::ApiClient api(transport, *prefix);
    client::TokenStore store(o.config_dir.empty() ? client::TokenStore::DefaultDir()
                                                  : std::filesystem::path(o.config_dir));
    TtyPrompt tty;
    const std::string server = url.Canonical();
    const std::string nickname = ChooseNickname(o, store, tty, server);
    if (nickname.empty()) {
        std::fprintf(stderr, "rooms chat: no nickname: use --user\n");
        return 2;
    }
    client::AuthSession auth(io.get_executor(), api, store, server, nickname);
    PasswordSource passwords(tty, o.plain && o.password_stdin);
    if (!RunPhase(io, SignIn(auth, passwords, tty, server, o.register_user), false)) return 1;
    return RunPhase(io, Chat(o, url, api, auth, tty), true);
}

}  // namespace

int RunChat(const ChatOptions& o) {
    EnsureUtf8Locale();
    std::string error;
    auto url = client::ParseServerUrl(o.url, error);
    if (!url) {
        std::fprintf(stderr, "rooms chat: --url: %s\n", error.c_str());
        return 2;
    }
    if (o.password_stdin && !o.plain) {
        std::fprintf(stderr, "rooms chat: --password-stdin goes with --plain\n");
        return 2;
    }
    if (!o.plain && (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO))) {
        std::fprintf(stderr, "rooms chat: stdin and stdout must be a terminal; use --plain for pipes\n");
        return 2;
    }
    if (auto problem = o.plain ? std::nullopt : TerminalProblem()) {
        std::fprintf(stderr, "rooms chat: %s\n", problem->c_str());
        return 2;
    }
    try {
        return Run(o, *url);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rooms chat: %s\n", e.what());
        return 1;
    }
}

}  // namespace rooms::tui
