#include "tui/plain_view.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstdio>

#include "tui/display_width.h"
#include "tui/message_format.h"

namespace rooms::tui {

namespace asio = boost::asio;
using client::RoomStatus;

/// Lines of stdin: read asynchronously from a pipe or terminal, synchronously from what epoll cannot watch (a
/// regular file, /dev/null), which never blocks for long.
class LineReader {
  public:
    explicit LineReader(const asio::any_io_executor& executor) : pipe_(executor) {
        const int fd = ::dup(STDIN_FILENO);
        boost::system::error_code ec;
        if (fd >= 0) pipe_.assign(fd, ec);
        if (fd < 0 || ec) {
            if (fd >= 0 && ec) ::close(fd);
            blocking_ = true;
        }
    }

    asio::awaitable<std::optional<std::string>> Next() {
        while (true) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                co_return line;
            }
            if (eof_) {
                if (buffer_.empty()) co_return std::nullopt;
                co_return std::exchange(buffer_, {});
            }
            if (blocking_) {
                char chunk[4096];
                const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    eof_ = true;
                } else {
                    buffer_.append(chunk, static_cast<std::size_t>(n));
                }
                continue;
            }
            auto [ec, n] = co_await asio::async_read_until(pipe_, asio::dynamic_buffer(buffer_), '\n',
                                                           asio::as_tuple(asio::use_awaitable));
            if (ec == asio::error::operation_aborted) co_return std::nullopt;  // Cancel()
            if (ec) eof_ = true;
        }
    }

    /// Ends a pending Next() (with nullopt): the chat is over.
    void Cancel() {
        eof_ = true;
        buffer_.clear();
        boost::system::error_code ignored;
        pipe_.cancel(ignored);
    }

  private:
    asio::posix::stream_descriptor pipe_;
    bool blocking_ = false;
    bool eof_ = false;
    std::string buffer_;
};

PlainView::PlainView(asio::any_io_executor executor, TtyPrompt& tty, std::chrono::milliseconds drain_timeout)
    : executor_(std::move(executor)), tty_(tty), drain_timeout_(drain_timeout) {}

PlainView::~PlainView() = default;

asio::awaitable<int> PlainView::Run(ChatController& controller, std::string initial_room) {
    controller_ = &controller;
    co_await controller.Start(initial_room);
    reader_ = std::make_unique<LineReader>(executor_);
    while (!controller.quitting()) {
        auto line = co_await reader_->Next();
        if (!line) break;
        if (!line->empty() && line->back() == '\r') line->pop_back();
        if (line->empty()) continue;
        co_await controller.Execute(std::move(*line));
    }
    if (!controller.quitting()) {
        const bool sent = co_await controller.WaitUntilSent(drain_timeout_);
        if (!sent && !controller.quitting()) Notice("some messages were not confirmed by the server; they may be lost");
        controller.Quit(sent ? 0 : 1);
    }
    co_await controller.WaitForQuit();
    std::fflush(stdout);
    co_return controller.exit_code();
}

void PlainView::Changed() {
    if (!controller_) return;
    if (controller_->quitting() && reader_) reader_->Cancel();  // a signal or /quit: stop reading stdin
    const auto* room = controller_->active();
    if (!room) return;
    // Report changes of state, not every countdown step.
    const RoomStatus& s = room->status();
    std::string state;
    switch (s.state) {
        case RoomStatus::State::kLive:
            state = "live in " + room->room().name;
            break;
        case RoomStatus::State::kWaiting:
            state = "disconnected: " + s.reason + "; reconnecting";
            break;
        case RoomStatus::State::kGone:
            state = "closed: " + s.reason;
            break;
        default:
            return;
    }
    std::string& last = reported_[room->room().id];
    if (last == state) return;
    last = state;
    std::fprintf(stderr, "rooms: %s\n", Sanitize(state, false).c_str());
}

void PlainView::MessagesArrived(const std::string& room_id, const std::vector<client::ChatMessage>& fresh) {
    const auto* room = controller_ ? controller_->active() : nullptr;
    if (!room || room->room().id != room_id) return;
    for (const auto& m : fresh) std::fputs(PlainLine(m).c_str(), stdout);
    if (std::fflush(stdout) != 0 && !controller_->quitting()) {
        Notice("stdout is closed; quitting");  // e.g. `| head -1` has what it wanted
        controller_->Quit(1);
    }
}

void PlainView::Notice(const std::string& text) { std::fprintf(stderr, "rooms: %s\n", Sanitize(text, false).c_str()); }

asio::awaitable<std::optional<std::string>> PlainView::AskPassword(std::string reason) {
    if (!tty_.available()) {
        Notice(reason + "; no terminal to ask the password on");
        co_return std::nullopt;
    }
    tty_.Say(reason);
    co_return tty_.ReadSecret("Password: ");
}

}  // namespace rooms::tui
