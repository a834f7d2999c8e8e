#pragma once

#include <string>
#include <string_view>

namespace rooms::tui {

/// What one submitted line asks for. A line not starting with '/' is a message, sent as typed; "//x" sends "/x".
struct Command {
    enum class Kind { kMessage, kJoin, kCreate, kLeave, kWho, kRooms, kHelp, kLogout, kQuit, kInvalid };
    Kind kind = Kind::kMessage;
    std::string argument;  // the message, or the room name (trimmed); for kInvalid, what is wrong
};

/// Parses a submitted line: /join ROOM, /create ROOM, /leave, /who, /rooms, /help, /logout, /quit (also /exit).
/// A command is one line; unknown commands, missing or extra arguments are kInvalid with the reason.
Command ParseCommand(std::string_view line);

/// The commands and keys, one per line, for /help.
std::string_view HelpText();

}  // namespace rooms::tui
