#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rooms::tui {

/// The composer's text: multi-line editing with a cursor and a history of what was sent (Up on the first line
/// recalls the previous entry, Down on the last line the next one, and past the newest the draft comes back).
/// The cursor moves by characters: a base character and the zero-width code points after it (combining marks,
/// variation selectors, ZWJ) move and delete together. Pure logic, not thread-safe.
class LineEditor {
  public:
    explicit LineEditor(std::size_t max_history = 500);

    /// Inserts typed or pasted text at the cursor ('\n' starts a new line; other controls are dropped).
    void Insert(std::string_view utf8);
    void InsertNewline();
    void Backspace();
    void Delete();
    void Left();
    void Right();
    /// To the start / end of the cursor's line.
    void Home();
    void End();
    void WordLeft();
    void WordRight();
    /// Ctrl+W: the word before the cursor (and the spaces after it).
    void DeleteWordBefore();
    /// Ctrl+U: from the start of the cursor's line to the cursor.
    void KillToLineStart();
    /// Ctrl+K: from the cursor to the end of its line.
    void KillToLineEnd();
    /// The line above (same column, as near as it goes); on the first line, the previous history entry.
    void Up();
    /// The line below; on the last line, the next history entry, then the draft.
    void Down();

    /// The text, which the editor forgets; it goes into the history unless blank or equal to the newest entry.
    std::string Submit();
    void Clear();

    std::string text() const;
    bool empty() const { return buffer_.empty(); }
    /// The cursor as a code point index into the text.
    std::size_t cursor() const { return cursor_; }
    std::size_t history_size() const { return history_.size(); }

    /// The text laid out in rows of at most `width` columns (each '\n' starts a row; long lines wrap between
    /// characters), and where the cursor is. `masked`: every character drawn as '*' (a password).
    struct View {
        std::vector<std::string> rows;
        int cursor_row = 0;
        int cursor_col = 0;
    };
    View Layout(int width, bool masked = false) const;

  private:
    bool IsZeroWidth(std::size_t i) const;
    std::size_t LineStart(std::size_t pos) const;
    std::size_t LineEnd(std::size_t pos) const;
    /// Columns from the start of the line to `pos`.
    int ColumnOf(std::size_t pos) const;
    /// The position in the line starting at `line_start` nearest to `column`.
    std::size_t AtColumn(std::size_t line_start, int column) const;
    void Recall(std::size_t index);

    std::u32string buffer_;
    std::size_t cursor_ = 0;
    std::vector<std::u32string> history_;
    std::size_t max_history_;
    std::size_t history_index_ = 0;  // == history_.size(): editing the draft
    std::u32string draft_;
};

}  // namespace rooms::tui
