#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/wire.h"

namespace rooms::tui {

/// Seconds since the epoch of an RFC 3339 time ("2026-11-29T02:31:00.123456Z", "...+03:00"); nullopt otherwise.
std::optional<std::time_t> ParseRfc3339(std::string_view text);

/// The local time of day of an RFC 3339 time: "HH:MM" (with_seconds: "HH:MM:SS"); "--:--" when unreadable.
std::string LocalTimeOfDay(std::string_view rfc3339, bool with_seconds);

/// How a row is drawn.
enum class RowKind { kMessage, kOwn, kPresence, kNotice, kGap, kPending };

/// One screen row of a message.
struct MessageRow {
    std::string time;    // "HH:MM" on a message's first row, empty on the rows after it
    std::string text;    // sanitized, at most the text width
    int nick_bytes = 0;  // on a first row: how many bytes of `text` are the nickname (drawn in its colour)
    RowKind kind = RowKind::kMessage;
};

/// Columns the time takes on the left ("HH:MM "); rows after a message's first are indented as much.
inline constexpr int kTimeColumns = 6;

/// A message laid out in rows for a pane `width` columns wide: "HH:MM nick: content", content wrapped below
/// the time; join/leave as "HH:MM * nick joined the room"; the client's own lines as "-- text".
std::vector<MessageRow> FormatMessage(const client::ChatMessage& message, std::string_view own_nickname, int width);

/// A message typed but not yet echoed by the server, drawn as "  ... nick: content".
std::vector<MessageRow> FormatPending(std::string_view content, std::string_view own_nickname, int width);

/// One message as --plain prints it: "[HH:MM:SS] nick: content", "[HH:MM:SS] * nick joined the room", lines of a
/// multi-line content after the first indented by two spaces; control characters replaced. Ends with '\n'.
std::string PlainLine(const client::ChatMessage& message);

}  // namespace rooms::tui
