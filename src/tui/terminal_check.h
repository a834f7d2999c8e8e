#pragma once

#include <optional>
#include <string>

namespace rooms::tui {

/// Why ncurses cannot drive the terminal on stdout (TERM unknown or missing from terminfo), or nullopt when it
/// can. Checked before sign-in, so that nobody types a password only to be told to use --plain. Writes nothing to
/// the terminal.
std::optional<std::string> TerminalProblem();

}  // namespace rooms::tui
