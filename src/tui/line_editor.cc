#include "tui/line_editor.h"

#include <algorithm>

#include "tui/display_width.h"

namespace rooms::tui {

namespace {

bool IsSpace(char32_t c) { return c == ' ' || c == '\n'; }

}  // namespace

LineEditor::LineEditor(std::size_t max_history) : max_history_(std::max<std::size_t>(max_history, 1)) {}

bool LineEditor::IsZeroWidth(std::size_t i) const {
    return i < buffer_.size() && buffer_[i] != '\n' && CodePointWidth(buffer_[i]) == 0;
}

void LineEditor::Insert(std::string_view utf8) {
    std::u32string add;
    for (char32_t c : ToCodePoints(utf8)) {
        if (c == '\r') c = '\n';
        if (c == '\t') c = ' ';
        if (c != '\n' && (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0))) continue;
        add += c;
    }
    buffer_.insert(cursor_, add);
    cursor_ += add.size();
}

void LineEditor::InsertNewline() {
    buffer_.insert(cursor_, 1, U'\n');
    ++cursor_;
}

void LineEditor::Backspace() {
    if (cursor_ == 0) return;
    const std::size_t end = cursor_;
    Left();
    buffer_.erase(cursor_, end - cursor_);
}

void LineEditor::Delete() {
    if (cursor_ >= buffer_.size()) return;
    const std::size_t start = cursor_;
    Right();
    buffer_.erase(start, cursor_ - start);
    cursor_ = start;
}

void LineEditor::Left() {
    if (cursor_ == 0) return;
    --cursor_;
    while (cursor_ > 0 && IsZeroWidth(cursor_)) --cursor_;
}

void LineEditor::Right() {
    if (cursor_ >= buffer_.size()) return;
    ++cursor_;
    while (cursor_ < buffer_.size() && IsZeroWidth(cursor_)) ++cursor_;
}

std::size_t LineEditor::LineStart(std::size_t pos) const {
    while (pos > 0 && buffer_[pos - 1] != '\n') --pos;
    return pos;
}

std::size_t LineEditor::LineEnd(std::size_t pos) const {
    while (pos < buffer_.size() && buffer_[pos] != '\n') ++pos;
    return pos;
}

void LineEditor::Home() { cursor_ = LineStart(cursor_); }
void LineEditor::End() { cursor_ = LineEnd(cursor_); }

void LineEditor::WordLeft() {
    while (cursor_ > 0 && IsSpace(buffer_[cursor_ - 1])) --cursor_;
    while (cursor_ > 0 && !IsSpace(buffer_[cursor_ - 1])) --cursor_;
}

void LineEditor::WordRight() {
    while (cursor_ < buffer_.size() && IsSpace(buffer_[cursor_])) ++cursor_;
    while (cursor_ < buffer_.size() && !IsSpace(buffer_[cursor_])) ++cursor_;
}

void LineEditor::DeleteWordBefore() {
    const std::size_t end = cursor_;
    WordLeft();
    buffer_.erase(cursor_, end - cursor_);
}

void LineEditor::KillToLineStart() {
    const std::size_t start = LineStart(cursor_);
    buffer_.erase(start, cursor_ - start);
    cursor_ = start;
}

void LineEditor::KillToLineEnd() { buffer_.erase(cursor_, LineEnd(cursor_) - cursor_); }

int LineEditor::ColumnOf(std::size_t pos) const {
    int column = 0;
    for (std::size_t i = LineStart(pos); i < pos; ++i) column += CodePointWidth(buffer_[i]);
    return column;
}

std::size_t LineEditor::AtColumn(std::size_t line_start, int column) const {
    std::size_t pos = line_start;
    int at = 0;
    while (pos < buffer_.size() && buffer_[pos] != '\n') {
        const int w = CodePointWidth(buffer_[pos]);
        if (at + w > column) break;
        at += w;
        ++pos;
    }
    while (IsZeroWidth(pos)) ++pos;
    return pos;
}

void LineEditor::Recall(std::size_t index) {
    if (history_index_ == history_.size()) draft_ = buffer_;
    history_index_ = index;
    buffer_ = index == history_.size() ? draft_ : history_[index];
    cursor_ = buffer_.size();
}

void LineEditor::Up() {
    const std::size_t start = LineStart(cursor_);
    if (start > 0) {
        cursor_ = AtColumn(LineStart(start - 1), ColumnOf(cursor_));
        return;
    }
    if (history_index_ > 0) Recall(history_index_ - 1);
}

void LineEditor::Down() {
    const std::size_t end = LineEnd(cursor_);
    if (end < buffer_.size()) {
        cursor_ = AtColumn(end + 1, ColumnOf(cursor_));
        return;
    }
    if (history_index_ < history_.size()) Recall(history_index_ + 1);
}

std::string LineEditor::Submit() {
    std::string out = text();
    const bool blank = std::all_of(buffer_.begin(), buffer_.end(), IsSpace);
    if (!blank && (history_.empty() || history_.back() != buffer_)) {
        history_.push_back(buffer_);
        if (history_.size() > max_history_) history_.erase(history_.begin());
    }
    Clear();
    return out;
}

void LineEditor::Clear() {
    buffer_.clear();
    draft_.clear();
    cursor_ = 0;
    history_index_ = history_.size();
}

std::string LineEditor::text() const { return ToUtf8(buffer_); }

LineEditor::View LineEditor::Layout(int width, bool masked) const {
    if (width < 2) width = 2;
    View view;
    view.rows.emplace_back();
    int column = 0;
    for (std::size_t i = 0; i <= buffer_.size(); ++i) {
        if (i == cursor_) {
            if (column >= width) {  // the cursor after a full row stands at the start of the next one
                view.rows.emplace_back();
                column = 0;
            }
            view.cursor_row = static_cast<int>(view.rows.size()) - 1;
            view.cursor_col = column;
        }
        if (i == buffer_.size()) break;
        const char32_t c = buffer_[i];
        if (c == '\n') {
            view.rows.emplace_back();
            column = 0;
            continue;
        }
        const char32_t shown = masked ? U'*' : c;
        const int w = masked ? (CodePointWidth(c) == 0 ? 0 : 1) : CodePointWidth(c);
        if (w > 0 && column + w > width) {
            view.rows.emplace_back();
            column = 0;
        }
        if (!masked || w > 0) AppendUtf8(view.rows.back(), shown);
        column += w;
    }
    return view;
}

}  // namespace rooms::tui
