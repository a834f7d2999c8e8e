#include "tui/curses_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <deque>
#include <stdexcept>

#include "tui/display_width.h"
#include "tui/message_format.h"
#include "tui/terminal_check.h"

// Last: ncurses defines short names (OK, ERR, KEY_*) that must not meet the headers above.
#define NCURSES_NOMACROS 1
#define NCURSES_WIDECHAR 1
#include <ncursesw/ncurses.h>

namespace rooms::tui {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr int kNickColors = 6;
constexpr short kNoticePair = kNickColors + 1;
constexpr short kGapPair = kNickColors + 2;
constexpr auto kTick = 500ms;

/// A colour pair for a nickname, the same on every start and for every client.
short NickPair(std::string_view nickname) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : nickname) h = (h ^ c) * 16777619u;
    return static_cast<short>(1 + h % kNickColors);
}

/// Draws `text` at (y, x), cut to `width` columns.
void Put(int y, int x, std::string_view text, int width, attr_t attributes = A_NORMAL) {
    if (width <= 0) return;
    const std::string fitted = TruncateToWidth(text, width);
    attron(static_cast<int>(attributes));
    mvaddstr(y, x, fitted.c_str());
    attroff(static_cast<int>(attributes));
}

/// `text` padded with spaces to `width` columns.
std::string Pad(std::string text, int width) {
    const int w = DisplayWidth(text);
    if (w < width) text.append(static_cast<std::size_t>(width - w), ' ');
    return text;
}

attr_t KindAttributes(RowKind kind) {
    switch (kind) {
        case RowKind::kPresence:
        case RowKind::kPending:
            return A_DIM;
        case RowKind::kNotice:
            return has_colors() ? COLOR_PAIR(kNoticePair) : A_DIM;
        case RowKind::kGap:
            return (has_colors() ? COLOR_PAIR(kGapPair) : A_NORMAL) | A_BOLD;
        case RowKind::kMessage:
        case RowKind::kOwn:
            return A_NORMAL;
    }
    return A_NORMAL;
}

}  // namespace

CursesView::CursesView(const asio::any_io_executor& executor, std::string server_label)
    : executor_(executor), server_label_(std::move(server_label)), password_wait_(executor), tick_(executor) {}

CursesView::~CursesView() { Close(); }

void CursesView::Open() {
    // newterm, not initscr: initscr ends the process when the terminal is unknown.
    SCREEN* screen = newterm(nullptr, stdout, stdin);
    if (!screen) throw std::runtime_error(TerminalProblem().value_or("ncurses cannot open this terminal"));
    screen_ = screen;
    raw();  // Ctrl+C, Ctrl+S and Ctrl+Z are keys here, not signals or flow control
    noecho();
    nonl();  // Enter is '\r', Ctrl+J is '\n': send and new line
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    if (has_colors()) {
        start_color();
        use_default_colors();
        const short colors[kNickColors] = {COLOR_CYAN, COLOR_GREEN, COLOR_MAGENTA, COLOR_YELLOW, COLOR_BLUE, COLOR_RED};
        for (short i = 0; i < kNickColors; ++i) init_pair(static_cast<short>(i + 1), colors[i], -1);
        init_pair(kNoticePair, COLOR_YELLOW, -1);
        init_pair(kGapPair, COLOR_RED, -1);
    }
    open_ = true;
}

void CursesView::Close() {
    if (!open_) return;
    open_ = false;
    endwin();
    delscreen(static_cast<SCREEN*>(screen_));
    screen_ = nullptr;
}

asio::awaitable<void> CursesView::Run(ChatController& controller, std::string initial_room) {
    controller_ = &controller;
    // SIGWINCH is handled here, before initscr: ncurses then leaves it alone, and a resize wakes the executor.
    asio::co_spawn(
        executor_, [this]() -> asio::awaitable<void> { co_await WatchResize(); }, asio::detached);
    Open();
    Draw();
    asio::co_spawn(
        executor_, [this]() -> asio::awaitable<void> { co_await Tick(); }, asio::detached);
    asio::co_spawn(
        executor_, [this, initial_room]() -> asio::awaitable<void> { co_await controller_->Start(initial_room); },
        asio::detached);
    co_await ReadKeys();
    password_wait_.cancel();
    co_await controller.WaitForQuit();
    Close();
}

asio::awaitable<void> CursesView::WatchResize() {
    asio::signal_set resize(executor_, SIGWINCH);
    while (controller_ && !controller_->quitting()) {
        auto [ec, signal] = co_await resize.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        Resize();
    }
}

void CursesView::Resize() {
    if (!open_) return;
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0)
        resizeterm(size.ws_row, size.ws_col);
    clearok(curscr, TRUE);
    Draw();
}

asio::awaitable<void> CursesView::Tick() {
    // The status line counts down to the next reconnection attempt.
    while (controller_ && !controller_->quitting()) {
        tick_.expires_after(kTick);
        co_await tick_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (auto* room = controller_->active(); room && room->status().state == client::RoomStatus::State::kWaiting)
            Draw();
    }
}

asio::awaitable<void> CursesView::ReadKeys() {
    input_ = std::make_unique<asio::posix::stream_descriptor>(executor_, ::dup(STDIN_FILENO));
    while (!controller_->quitting()) {
        auto [ec] =
            co_await input_->async_wait(asio::posix::descriptor_base::wait_read, asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        ReadInput();
    }
    input_.reset();
}

void CursesView::ReadInput() {
    struct Key {
        bool is_code;
        unsigned value;
    };
    std::vector<Key> keys;
    wint_t ch;
    int status;
    while (keys.size() < 65536 && (status = wget_wch(stdscr, &ch)) != ERR)
        keys.push_back({status == KEY_CODE_YES, static_cast<unsigned>(ch)});
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (!keys[i].is_code && keys[i].value == 27) {  // Esc: Alt+key when a key came with it
            if (i + 1 < keys.size() && !keys[i + 1].is_code) {
                const unsigned next = keys[++i].value;
                if (next == '\r' || next == '\n') editor_.InsertNewline();
            } else if (asking_password_) {
                password_.reset();
                asking_password_ = false;
                password_wait_.cancel();
            }
            continue;
        }
        HandleKey(keys[i].is_code, keys[i].value);
    }
    Draw();
}

void CursesView::HandleKey(bool is_key_code, unsigned key) {
    if (is_key_code) {
        switch (key) {
            case KEY_LEFT:
                editor_.Left();
                break;
            case KEY_RIGHT:
                editor_.Right();
                break;
            case KEY_UP:
                editor_.Up();
                break;
            case KEY_DOWN:
                editor_.Down();
                break;
            case KEY_HOME:
                editor_.Home();
                break;
            case KEY_END:
                editor_.End();
                break;
            case KEY_BACKSPACE:
                editor_.Backspace();
                break;
            case KEY_DC:
                editor_.Delete();
                break;
            case KEY_ENTER:
                Enter();
                break;
            case KEY_PPAGE:
                if (at_top_) controller_->ScrollBack();
                scroll_ += std::max(1, message_rows_ - 2);
                break;
            case KEY_NPAGE:
                scroll_ = std::max(0, scroll_ - std::max(1, message_rows_ - 2));
                break;
            case KEY_RESIZE:
                Resize();
                break;
            default:
                break;
        }
        return;
    }
    switch (key) {
        case '\r':
            Enter();
            break;
        case '\n':
            editor_.InsertNewline();
            break;  // Ctrl+J
        case 127:
        case 8:
            editor_.Backspace();
            break;
        case 1:
            editor_.Home();
            break;  // Ctrl+A
        case 5:
            editor_.End();
            break;  // Ctrl+E
        case 2:
            editor_.Left();
            break;  // Ctrl+B
        case 6:
            editor_.Right();
            break;  // Ctrl+F
        case 11:
            editor_.KillToLineEnd();
            break;  // Ctrl+K
        case 21:
            editor_.KillToLineStart();
            break;  // Ctrl+U
        case 23:
            editor_.DeleteWordBefore();
            break;  // Ctrl+W
        case 12:
            clearok(curscr, TRUE);
            break;  // Ctrl+L
        case 14:
            scroll_ = 0, controller_->SwitchRoom(+1);
            break;  // Ctrl+N
        case 16:
            scroll_ = 0, controller_->SwitchRoom(-1);
            break;  // Ctrl+P
        case 3:
            controller_->Quit(0);
            break;  // Ctrl+C
        case 4:     // Ctrl+D: delete, or quit on an empty composer
            if (editor_.empty() && !asking_password_) {
                controller_->Quit(0);
            } else {
                editor_.Delete();
            }
            break;
        default:
            if (key >= 32 && key != 127 && !(key >= 0x80 && key < 0xA0)) {
                std::string text;
                AppendUtf8(text, static_cast<char32_t>(key));
                editor_.Insert(text);
            }
            break;
    }
}

void CursesView::Enter() {
    if (asking_password_) {
        password_ = editor_.text();  // never into the history
        editor_.Clear();
        asking_password_ = false;
        password_wait_.cancel();
        return;
    }
    std::string text = editor_.text();
    while (!text.empty() && text.back() == '\n') text.pop_back();  // a new line typed last; the rest as typed
    if (text.find_first_not_of(" \n") == std::string::npos) return;
    editor_.Submit();
    scroll_ = 0;
    controller_->Submit(std::move(text));
}

asio::awaitable<std::optional<std::string>> CursesView::AskPassword(std::string reason) {
    if (!open_ || !controller_ || controller_->quitting()) co_return std::nullopt;
    LineEditor draft = editor_;
    editor_.Clear();
    asking_password_ = true;
    password_reason_ = std::move(reason);
    password_.reset();
    Draw();
    password_wait_.expires_at(asio::steady_timer::time_point::max());
    co_await password_wait_.async_wait(asio::as_tuple(asio::use_awaitable));
    asking_password_ = false;
    editor_ = std::move(draft);
    Draw();
    co_return std::move(password_);
}

void CursesView::Changed() {
    if (redraw_posted_) return;
    redraw_posted_ = true;
    asio::post(executor_, [this] {
        redraw_posted_ = false;
        Draw();
    });
}

void CursesView::MessagesArrived(const std::string&, const std::vector<client::ChatMessage>&) { Changed(); }

void CursesView::Notice(const std::string&) { Changed(); }

void CursesView::Draw() {
    if (!open_ || !controller_) return;
    if (controller_->quitting() && input_) input_->cancel();
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    werase(stdscr);
    const std::string prompt = asking_password_ ? "password: " : "> ";
    const int prompt_width = DisplayWidth(prompt);
    const LineEditor::View text = editor_.Layout(std::max(2, cols - prompt_width - 1), asking_password_);
    const ScreenLayout layout = ComputeLayout(rows, cols, static_cast<int>(text.rows.size()));
    if (layout.too_small) {
        Put(0, 0, "window too small", cols);
        wrefresh(stdscr);
        return;
    }
    if (!layout.rooms.empty()) {
        DrawRooms(layout.rooms);
        mvvline(layout.rooms.top, layout.rooms.width, ACS_VLINE, layout.rooms.height);
    }
    if (!layout.online.empty()) {
        DrawOnline(layout.online);
        mvvline(layout.online.top, layout.online.left - 1, ACS_VLINE, layout.online.height);
    }
    DrawMessages(layout.messages);
    DrawStatus(layout.status);
    DrawComposer(layout.composer, text, prompt);
    wrefresh(stdscr);
}

void CursesView::DrawRooms(const Rect& area) {
    Put(area.top, area.left, "Rooms", area.width, A_BOLD);
    const auto& rooms = controller_->rooms();
    const auto* active = controller_->active();
    const int slots = area.height - 1;
    int first = 0;
    for (int i = 0; i < static_cast<int>(rooms.size()); ++i)
        if (active && rooms[i].id == active->room().id && i >= slots) first = i - slots + 1;
    for (int i = first, y = area.top + 1; i < static_cast<int>(rooms.size()) && y < area.top + area.height; ++i, ++y) {
        const auto& room = rooms[i];
        const bool joined = controller_->IsJoined(room.id);
        const bool shown = active && active->room().id == room.id;
        const int unread = controller_->Unread(room.id);
        const std::string count = unread > 0 ? " " + std::to_string(unread) : "";
        const int name_width = area.width - 2 - DisplayWidth(count);
        const std::string name = Pad(TruncateToWidth(Sanitize(room.name, false), name_width), name_width);
        std::string row = joined ? "* " : "  ";
        row += name;
        row += count;
        Put(y, area.left, row, area.width, shown ? A_REVERSE : (joined ? A_BOLD : A_NORMAL));
    }
}

void CursesView::DrawOnline(const Rect& area) {
    const auto& online = controller_->online();
    Put(area.top, area.left, "Online (" + std::to_string(online.size()) + ")", area.width, A_BOLD);
    int y = area.top + 1;
    for (const auto& nickname : online) {
        if (y >= area.top + area.height) break;
        Put(y++, area.left, Sanitize(nickname, false), area.width,
            has_colors() ? COLOR_PAIR(NickPair(nickname)) : A_NORMAL);
    }
}

void CursesView::DrawMessages(const Rect& area) {
    message_rows_ = area.height;
    const auto* room = controller_->active();
    const auto& entries = room ? room->timeline().entries() : controller_->lobby().entries();
    const std::string& me = controller_->nickname();
    // Rows from the newest back, only as many as the pane and the scroll offset need.
    std::deque<MessageRow> rows;
    if (room) {
        for (auto it = room->pending().rbegin(); it != room->pending().rend(); ++it) {
            auto formatted = FormatPending(it->content, me, area.width);
            rows.insert(rows.begin(), formatted.begin(), formatted.end());
        }
    }
    const int wanted = area.height + scroll_ + 1;
    std::size_t next = entries.size();
    while (next > 0 && static_cast<int>(rows.size()) < wanted) {
        auto formatted = FormatMessage(entries[--next], me, area.width);
        rows.insert(rows.begin(), formatted.begin(), formatted.end());
    }
    const int total = static_cast<int>(rows.size());
    const int max_scroll = std::max(0, total - area.height);
    if (next == 0 && scroll_ > max_scroll) scroll_ = max_scroll;
    at_top_ = next == 0 && scroll_ >= max_scroll;
    const int end = total - scroll_;
    const int begin = std::max(0, end - area.height);
    int y = area.top + area.height - (end - begin);
    for (int i = begin; i < end; ++i, ++y) {
        const MessageRow& row = rows[static_cast<std::size_t>(i)];
        Put(y, area.left, row.time, kTimeColumns, A_DIM);
        int x = area.left + kTimeColumns;
        const int width = area.width - kTimeColumns;
        std::string_view text = row.text;
        attr_t base = KindAttributes(row.kind);
        if (row.nick_bytes > 0) {
            const std::string_view nick = text.substr(0, static_cast<std::size_t>(row.nick_bytes));
            attr_t nick_attr = (has_colors() ? COLOR_PAIR(NickPair(nick)) : A_NORMAL) | A_BOLD;
            if (row.kind == RowKind::kPending) nick_attr = A_DIM;
            Put(y, x, nick, width, nick_attr);
            x += DisplayWidth(nick);
            text.remove_prefix(nick.size());
        }
        Put(y, x, text, width - (x - area.left - kTimeColumns), base);
    }
}

void CursesView::DrawStatus(const Rect& area) {
    std::string left;
    if (asking_password_) {
        left = " " + password_reason_ + " (Enter: log in, Esc: quit)";
    } else {
        const auto* room = controller_->active();
        left = " " + controller_->nickname() + " @ " + server_label_ + " | " +
               (room ? Sanitize(room->room().name, false) + " | " + controller_->StatusText()
                     : std::string("no room: /join ROOM"));
        if (scroll_ > 0) left += " | scrolled up: PgDn";
    }
    const std::string right = "/help ";
    const int room_for_left = area.width - DisplayWidth(right);
    Put(area.top, area.left, Pad(TruncateToWidth(left, room_for_left), room_for_left) + right, area.width, A_REVERSE);
}

void CursesView::DrawComposer(const Rect& area, const LineEditor::View& text, const std::string& prompt) {
    const int prompt_width = DisplayWidth(prompt);
    const int first = std::max(0, text.cursor_row - area.height + 1);
    for (int i = 0; i < area.height; ++i) {
        const int r = first + i;
        if (r >= static_cast<int>(text.rows.size())) break;
        Put(area.top + i, area.left, r == 0 ? prompt : std::string(static_cast<std::size_t>(prompt_width), ' '),
            prompt_width, A_BOLD);
        Put(area.top + i, area.left + prompt_width, text.rows[static_cast<std::size_t>(r)], area.width - prompt_width);
    }
    move(area.top + text.cursor_row - first, area.left + prompt_width + text.cursor_col);
}

}  // namespace rooms::tui
