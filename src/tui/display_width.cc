#include "tui/display_width.h"

#include <langinfo.h>

#include <clocale>
#include <cstring>
#include <cwchar>

#include "common/text.h"

namespace rooms::tui {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool IsControl(char32_t c) { return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0); }

}  // namespace

bool EnsureUtf8Locale() {
    std::setlocale(LC_ALL, "");
    auto utf8 = [] {
        const char* codeset = nl_langinfo(CODESET);
        return codeset && (std::strcmp(codeset, "UTF-8") == 0 || std::strcmp(codeset, "utf8") == 0);
    };
    if (utf8()) return true;
    return std::setlocale(LC_CTYPE, "C.UTF-8") != nullptr && utf8();
}

char32_t DecodeUtf8(std::string_view s, std::size_t& pos) {
    char32_t cp = 0;
    const std::size_t length = DecodeCodePoint(s, pos, cp);
    if (length == 0) {
        ++pos;
        return kReplacement;
    }
    pos += length;
    return cp;
}

void AppendUtf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

std::u32string ToCodePoints(std::string_view text) {
    std::u32string out;
    for (std::size_t pos = 0; pos < text.size();) out += DecodeUtf8(text, pos);
    return out;
}

std::string ToUtf8(std::u32string_view code_points) {
    std::string out;
    for (char32_t c : code_points) AppendUtf8(out, c);
    return out;
}

int CodePointWidth(char32_t c) {
    if (IsControl(c)) return 1;
    const int w = ::wcwidth(static_cast<wchar_t>(c));
    if (w < 0) return 1;  // unassigned: terminals draw a one-column box
    return w > 2 ? 2 : w;
}

int DisplayWidth(std::string_view text) {
    int width = 0;
    for (std::size_t pos = 0; pos < text.size();) width += CodePointWidth(DecodeUtf8(text, pos));
    return width;
}

std::string Sanitize(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const char32_t c = DecodeUtf8(text, pos);
        if (c == '\n' && keep_newlines) {
            out += '\n';
        } else if (c == '\t') {
            out += ' ';
        } else {
            AppendUtf8(out, IsControl(c) ? kReplacement : c);
        }
    }
    return out;
}

std::string TruncateToWidth(std::string_view text, int width) {
    int used = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t next = pos;
        const int w = CodePointWidth(DecodeUtf8(text, next));
        if (used + w > width) break;
        used += w;
        pos = next;
    }
    return std::string(text.substr(0, pos));
}

std::vector<std::string> WrapText(std::string_view text, int width) {
    if (width < 1) width = 1;
    std::vector<std::string> lines;
    std::string line;
    int line_width = 0;
    std::size_t break_at = std::string::npos;  // bytes of `line` up to and including its last space
    int width_at_break = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const char32_t c = DecodeUtf8(text, pos);
        if (c == '\n') {
            lines.push_back(std::move(line));
            line.clear();
            line_width = 0;
            break_at = std::string::npos;
            continue;
        }
        const int w = CodePointWidth(c);
        if (c == ' ' && line_width + w > width) {  // the space that does not fit ends the line
            while (!line.empty() && line.back() == ' ') line.pop_back();
            lines.push_back(std::move(line));
            line.clear();
            line_width = 0;
            break_at = std::string::npos;
            continue;
        }
        if (w > 0 && line_width + w > width && !line.empty()) {
            if (break_at != std::string::npos) {
                // Break after the last space: the rest of the line moves down.
                std::string rest = line.substr(break_at);
                line.resize(break_at);
                while (!line.empty() && line.back() == ' ') line.pop_back();
                lines.push_back(std::move(line));
                line = std::move(rest);
                line_width -= width_at_break;
            } else {
                lines.push_back(std::move(line));
                line.clear();
                line_width = 0;
            }
            break_at = std::string::npos;
            if (line_width + w > width && !line.empty()) {  // what moved down and a wide character: one too many
                lines.push_back(std::move(line));
                line.clear();
                line_width = 0;
            }
        }
        AppendUtf8(line, c);
        line_width += w;
        if (c == ' ' || w == 2) {  // a line may break after a space and around a wide (CJK) character
            break_at = line.size();
            width_at_break = line_width;
        }
    }
    lines.push_back(std::move(line));
    return lines;
}

}  // namespace rooms::tui
