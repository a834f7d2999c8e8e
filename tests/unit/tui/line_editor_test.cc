#include "tui/line_editor.h"

#include <gtest/gtest.h>

namespace rooms::tui {
namespace {

TEST(LineEditorTest, TypingAndMovingTheCursor) {
    LineEditor e;
    e.Insert("helo");
    e.Left();
    e.Insert("l");
    EXPECT_EQ(e.text(), "hello");
    e.Home();
    e.Insert(">");
    e.End();
    e.Insert("!");
    EXPECT_EQ(e.text(), ">hello!");
    e.Backspace();
    e.Home();
    e.Delete();
    EXPECT_EQ(e.text(), "hello");
}

TEST(LineEditorTest, WideCharactersAndZeroWidthMarksMoveTogether) {
    LineEditor e;
    e.Insert("a😀e\u0301");
    EXPECT_EQ(e.cursor(), 4u);
    e.Left();  // before "e" + combining acute, not between them
    EXPECT_EQ(e.cursor(), 2u);
    e.Backspace();  // the emoji
    EXPECT_EQ(e.text(), "ae\u0301");
    e.End();
    e.Backspace();  // the letter and its mark
    EXPECT_EQ(e.text(), "a");
}

TEST(LineEditorTest, SubmitRemembersAndUpRecallsTheHistory) {
    LineEditor e;
    e.Insert("first");
    EXPECT_EQ(e.Submit(), "first");
    EXPECT_TRUE(e.empty());
    e.Insert("second");
    e.Submit();
    e.Insert("draft");
    e.Up();
    EXPECT_EQ(e.text(), "second");
    e.Up();
    EXPECT_EQ(e.text(), "first");
    e.Up();  // nothing older
    EXPECT_EQ(e.text(), "first");
    e.Down();
    EXPECT_EQ(e.text(), "second");
    e.Down();
    EXPECT_EQ(e.text(), "draft");
}

TEST(LineEditorTest, BlankAndRepeatedEntriesDoNotFillTheHistory) {
    LineEditor e;
    e.Insert("same");
    e.Submit();
    e.Insert("same");
    e.Submit();
    e.Insert("  ");
    e.Submit();
    EXPECT_EQ(e.history_size(), 1u);
}

TEST(LineEditorTest, TheHistoryIsBounded) {
    LineEditor e(3);
    for (int i = 0; i < 5; ++i) {
        e.Insert("m" + std::to_string(i));
        e.Submit();
    }
    EXPECT_EQ(e.history_size(), 3u);
    e.Up();
    e.Up();
    e.Up();
    EXPECT_EQ(e.text(), "m2");
}

TEST(LineEditorTest, MultiLineTextMovesUpAndDownLinesBeforeTheHistory) {
    LineEditor e;
    e.Insert("old");
    e.Submit();
    e.Insert("line one");
    e.InsertNewline();
    e.Insert("two");
    EXPECT_EQ(e.text(), "line one\ntwo");
    e.Up();  // to the first line, same column
    EXPECT_EQ(e.cursor(), 3u);
    e.Insert("X");
    EXPECT_EQ(e.text(), "linXe one\ntwo");
    e.Down();
    e.End();
    e.Insert("!");
    EXPECT_EQ(e.text(), "linXe one\ntwo!");
    e.Home();
    e.Up();
    e.Up();  // on the first line: the history
    EXPECT_EQ(e.text(), "old");
}

TEST(LineEditorTest, PastedNewlinesAreKeptAndControlsDropped) {
    LineEditor e;
    e.Insert("a\r\nb\x1b[1mc\td");
    EXPECT_EQ(e.text(), "a\n\nb[1mc d");
}

TEST(LineEditorTest, KillAndWordCommands) {
    LineEditor e;
    e.Insert("one two three");
    e.DeleteWordBefore();
    EXPECT_EQ(e.text(), "one two ");
    e.WordLeft();
    e.KillToLineEnd();
    EXPECT_EQ(e.text(), "one ");
    e.Insert("x");
    e.KillToLineStart();
    EXPECT_EQ(e.text(), "");
    e.Insert("a b");
    e.Home();
    e.WordRight();
    EXPECT_EQ(e.cursor(), 1u);
}

TEST(LineEditorTest, LayoutWrapsWideTextAndPlacesTheCursor) {
    LineEditor e;
    e.Insert("你好世界");
    auto v = e.Layout(5);
    EXPECT_EQ(v.rows, (std::vector<std::string>{"你好", "世界"}));
    EXPECT_EQ(v.cursor_row, 1);
    EXPECT_EQ(v.cursor_col, 4);
    e.Insert("x");  // row 2 is full: x goes below
    v = e.Layout(4);
    EXPECT_EQ(v.rows, (std::vector<std::string>{"你好", "世界", "x"}));
    EXPECT_EQ(v.cursor_row, 2);
    EXPECT_EQ(v.cursor_col, 1);
    e.Clear();
    e.Insert("abcd");
    v = e.Layout(4);  // the cursor after a full row starts the next
    EXPECT_EQ(v.cursor_row, 1);
    EXPECT_EQ(v.cursor_col, 0);
}

TEST(LineEditorTest, LayoutOfMultipleLinesAndMasking) {
    LineEditor e;
    e.Insert("ab");
    e.InsertNewline();
    e.Insert("c");
    e.Left();
    auto v = e.Layout(10);
    EXPECT_EQ(v.rows, (std::vector<std::string>{"ab", "c"}));
    EXPECT_EQ(v.cursor_row, 1);
    EXPECT_EQ(v.cursor_col, 0);
    e.Clear();
    e.Insert("pässwörd😀");
    v = e.Layout(20, true);
    EXPECT_EQ(v.rows, (std::vector<std::string>{"*********"}));
    EXPECT_EQ(v.cursor_col, 9);
}

}  // namespace
}  // namespace rooms::tui
