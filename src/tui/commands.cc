#include "tui/commands.h"

#include <array>

namespace rooms::tui {

namespace {

std::string_view Trim(std::string_view s) {
    const auto not_space = [](char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; };
    while (!s.empty() && !not_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && !not_space(s.back())) s.remove_suffix(1);
    return s;
}

struct Spec {
    std::string_view name;
    Command::Kind kind;
    bool takes_room;
};

constexpr std::array kSpecs{
    Spec{"join", Command::Kind::kJoin, true},      Spec{"create", Command::Kind::kCreate, true},
    Spec{"leave", Command::Kind::kLeave, false},   Spec{"who", Command::Kind::kWho, false},
    Spec{"rooms", Command::Kind::kRooms, false},   Spec{"help", Command::Kind::kHelp, false},
    Spec{"logout", Command::Kind::kLogout, false}, Spec{"quit", Command::Kind::kQuit, false},
    Spec{"exit", Command::Kind::kQuit, false},
};

Command Invalid(std::string why) { return {Command::Kind::kInvalid, std::move(why)}; }

}  // namespace

Command ParseCommand(std::string_view line) {
    if (!line.starts_with('/')) return {Command::Kind::kMessage, std::string(line)};
    if (line.starts_with("//")) return {Command::Kind::kMessage, std::string(line.substr(1))};
    const std::string_view body = Trim(line.substr(1));
    if (line.find('\n') != std::string_view::npos)
        return Invalid("a command is one line (send \"//...\" for a message)");
    const auto space = body.find_first_of(" \t");
    const std::string_view name = body.substr(0, space);
    const std::string_view argument = space == std::string_view::npos ? std::string_view() : Trim(body.substr(space));
    for (const auto& spec : kSpecs) {
        if (spec.name != name) continue;
        if (spec.takes_room && argument.empty()) return Invalid("usage: /" + std::string(name) + " ROOM");
        if (!spec.takes_room && !argument.empty()) return Invalid("/" + std::string(name) + " takes no argument");
        return {spec.kind, std::string(argument)};
    }
    return Invalid("unknown command /" + std::string(name) + " (/help lists them; //text sends \"/text\")");
}

std::string_view HelpText() {
    return "/join ROOM     join a room (by name or id) and show it; already joined: show it\n"
           "/create ROOM   create a room and join it\n"
           "/leave         leave the room shown\n"
           "/who           who is in the room now\n"
           "/rooms         list the rooms\n"
           "/logout        end the session on the server, forget the saved token, quit\n"
           "/quit          quit (the session is kept: the next start needs no password)\n"
           "//text         send \"/text\"\n"
           "Enter sends; Alt+Enter or Ctrl+J: new line; Up/Down: lines, then sent history\n"
           "PgUp/PgDn: scroll (older messages load at the top); Ctrl+N/Ctrl+P: next/previous joined room\n"
           "Ctrl+A/E: line start/end; Ctrl+W: word; Ctrl+U/K: to line start/end; Ctrl+L: redraw; Ctrl+C: quit";
}

}  // namespace rooms::tui
