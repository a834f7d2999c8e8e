#include "tui/tty_prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace rooms::tui {

namespace {

// What ReadSecret changed, for the signal handler to put back: a Ctrl+C at the password prompt must not leave the
// terminal without echo.
int g_secret_fd = -1;
termios g_saved_termios{};

extern "C" void RestoreTerminalAndDie(int signal_number) {
    if (g_secret_fd >= 0) ::tcsetattr(g_secret_fd, TCSANOW, &g_saved_termios);
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

constexpr std::size_t kMaxLine = 4096;

}  // namespace

TtyPrompt::TtyPrompt() : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}

TtyPrompt::~TtyPrompt() {
    if (fd_ >= 0) ::close(fd_);
}

void TtyPrompt::Say(const std::string& line) {
    if (fd_ < 0) return;
    const std::string out = line + "\n";
    [[maybe_unused]] ssize_t n = ::write(fd_, out.data(), out.size());
}

std::optional<std::string> TtyPrompt::Read() {
    std::string line;
    char c;
    while (line.size() < kMaxLine) {
        const ssize_t n = ::read(fd_, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return line.empty() ? std::nullopt : std::optional<std::string>(line);
        if (c == '\n') break;
        if (c != '\r') line += c;
    }
    return line;
}

std::optional<std::string> TtyPrompt::ReadLine(const std::string& prompt) {
    if (fd_ < 0) return std::nullopt;
    [[maybe_unused]] ssize_t n = ::write(fd_, prompt.data(), prompt.size());
    return Read();
}

std::optional<std::string> TtyPrompt::ReadSecret(const std::string& prompt) {
    if (fd_ < 0) return std::nullopt;
    termios saved{};
    const bool is_terminal = ::tcgetattr(fd_, &saved) == 0;
    struct sigaction restore {
    }, old_int{}, old_term{}, old_hup{};
    if (is_terminal) {
        g_secret_fd = fd_;
        g_saved_termios = saved;
        restore.sa_handler = RestoreTerminalAndDie;
        sigemptyset(&restore.sa_mask);
        ::sigaction(SIGINT, &restore, &old_int);
        ::sigaction(SIGTERM, &restore, &old_term);
        ::sigaction(SIGHUP, &restore, &old_hup);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(fd_, TCSANOW, &quiet);
    }
    [[maybe_unused]] ssize_t n = ::write(fd_, prompt.data(), prompt.size());
    auto line = Read();
    if (is_terminal) {
        ::tcsetattr(fd_, TCSANOW, &saved);
        ::sigaction(SIGINT, &old_int, nullptr);
        ::sigaction(SIGTERM, &old_term, nullptr);
        ::sigaction(SIGHUP, &old_hup, nullptr);
        g_secret_fd = -1;
    }
    return line;
}

bool TtyPrompt::Confirm(const std::string& question) {
    auto answer = ReadLine(question + " [y/N] ");
    return answer && !answer->empty() && (answer->front() == 'y' || answer->front() == 'Y');
}

}  // namespace rooms::tui
