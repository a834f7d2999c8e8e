#include "tui/message_format.h"

#include <cstdio>

#include "tui/display_width.h"

namespace rooms::tui {

namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

std::vector<MessageRow> Rows(const std::string& time, const std::string& first, std::string_view body, RowKind kind,
                             int nick_bytes, int width) {
    const int text_width = std::max(1, width - kTimeColumns);
    std::vector<MessageRow> rows;
    for (auto& line : WrapText(first + Sanitize(body), text_width)) {
        rows.push_back({rows.empty() ? time : std::string(), std::move(line), 0, kind});
    }
    rows.front().nick_bytes = std::min<int>(nick_bytes, static_cast<int>(rows.front().text.size()));
    return rows;
}

}  // namespace

std::optional<std::time_t> ParseRfc3339(std::string_view s) {
    std::tm tm{};
    int year, month, day, hour, minute, second;
    if (!Digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
        !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !Digits(s, 11, 2, hour) ||
        s[13] != ':' || !Digits(s, 14, 2, minute) || s[16] != ':' || !Digits(s, 17, 2, second))
        return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
    long offset = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om))
            return std::nullopt;
        offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return ::timegm(&tm) - offset;
}

std::string LocalTimeOfDay(std::string_view rfc3339, bool with_seconds) {
    auto t = ParseRfc3339(rfc3339);
    std::tm local{};
    if (!t || !::localtime_r(&*t, &local)) return with_seconds ? "--:--:--" : "--:--";
    char out[16];
    if (with_seconds) {
        std::snprintf(out, sizeof out, "%02d:%02d:%02d", local.tm_hour, local.tm_min, local.tm_sec);
    } else {
        std::snprintf(out, sizeof out, "%02d:%02d", local.tm_hour, local.tm_min);
    }
    return out;
}

std::vector<MessageRow> FormatMessage(const client::ChatMessage& m, std::string_view own_nickname, int width) {
    const std::string time = LocalTimeOfDay(m.time_created, false);
    const std::string nick = Sanitize(m.nickname, false);
    if (m.type == "notice") return Rows(time, "-- ", m.content, RowKind::kNotice, 0, width);
    if (m.type == "gap") return Rows(time, "~~ ", m.content, RowKind::kGap, 0, width);
    if (m.IsPresence()) {
        const std::string what = m.type == "join" ? "joined the room" : "left the room";
        return Rows(time, "* " + nick + " ", what, RowKind::kPresence, 0, width);
    }
    const RowKind kind = m.nickname == own_nickname ? RowKind::kOwn : RowKind::kMessage;
    return Rows(time, nick + ": ", m.content, kind, static_cast<int>(nick.size()), width);
}

std::vector<MessageRow> FormatPending(std::string_view content, std::string_view own_nickname, int width) {
    const std::string nick = Sanitize(own_nickname, false);
    return Rows("..", nick + ": ", content, RowKind::kPending, static_cast<int>(nick.size()), width);
}

std::string PlainLine(const client::ChatMessage& m) {
    std::string out = "[" + LocalTimeOfDay(m.time_created, true) + "] ";
    const std::string nick = Sanitize(m.nickname, false);
    if (m.type == "gap" || m.type == "notice") {
        out += "-- ";
    } else if (m.IsPresence()) {
        return out + "* " + nick + (m.type == "join" ? " joined the room\n" : " left the room\n");
    } else {
        out += nick + ": ";
    }
    const std::string content = Sanitize(m.content);
    for (char c : content) {
        out += c;
        if (c == '\n') out += "  ";
    }
    return out + "\n";
}

}  // namespace rooms::tui
