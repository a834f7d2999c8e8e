#pragma once

// Terminal columns of UTF-8 text. Widths come from wcwidth(3), so LC_CTYPE must be a UTF-8 locale
// (EnsureUtf8Locale); that is also what ncursesw and terminals such as tmux use, so what is measured here is what
// they draw: 2 columns for CJK ideographs and most emoji, 0 for combining marks, ZWJ and variation selectors.

#include <string>
#include <string_view>
#include <vector>

namespace rooms::tui {

/// Sets LC_ALL from the environment; when its character set is not UTF-8, LC_CTYPE becomes C.UTF-8. False when
/// no UTF-8 locale could be set (wide characters are then measured as one column).
bool EnsureUtf8Locale();

/// The code point at text[pos], advancing pos; a malformed byte is U+FFFD and advances by one.
char32_t DecodeUtf8(std::string_view text, std::size_t& pos);
void AppendUtf8(std::string& out, char32_t code_point);
std::u32string ToCodePoints(std::string_view text);
std::string ToUtf8(std::u32string_view code_points);

/// Columns of one code point: 0, 1 or 2 (a control character counts 1: Sanitize draws it as U+FFFD).
int CodePointWidth(char32_t code_point);
/// Columns of `text` (one line: '\n' counts as a control character).
int DisplayWidth(std::string_view text);

/// `text` safe to draw: C0/C1 controls and DEL (escape sequences from a hostile message) become U+FFFD, a tab a
/// space, a malformed byte U+FFFD. '\n' is kept when `keep_newlines`.
std::string Sanitize(std::string_view text, bool keep_newlines = true);

/// The longest prefix of `text` that fits in `width` columns (never half a wide character), with the zero-width
/// code points that follow its last character.
std::string TruncateToWidth(std::string_view text, int width);

/// Lines of at most `width` columns: '\n' ends a line; a line too long breaks after its last space or wide
/// (CJK, emoji) character that fits, else between characters. Never splits a character or separates it from the
/// zero-width code points after it. `width` < 1 counts as 1. An empty text is one empty line.
std::vector<std::string> WrapText(std::string_view text, int width);

}  // namespace rooms::tui
