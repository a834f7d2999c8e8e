#include "tui/terminal_check.h"

#include <unistd.h>

#include <cstdlib>

// term.h defines short macros (lines, columns, ...): it stays in this file, after every other header.
#define NCURSES_NOMACROS 1
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

namespace rooms::tui {

std::optional<std::string> TerminalProblem() {
    int status = 0;
    if (setupterm(nullptr, STDOUT_FILENO, &status) != OK) {
        const char* term = std::getenv("TERM");
        return std::string("cannot drive this terminal (TERM=") + (term ? term : "") + "): use --plain";
    }
    del_curterm(cur_term);  // newterm reads it again when the UI opens
    return std::nullopt;
}

}  // namespace rooms::tui
