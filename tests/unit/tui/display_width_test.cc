#include "tui/display_width.h"

#include <gtest/gtest.h>

namespace rooms::tui {
namespace {

TEST(DisplayWidthTest, AsciiCjkAndEmoji) {
    EXPECT_EQ(DisplayWidth("hello"), 5);
    EXPECT_EQ(DisplayWidth("你好世界"), 8);
    EXPECT_EQ(DisplayWidth("日本語テキスト"), 14);
    EXPECT_EQ(DisplayWidth("😀"), 2);
    EXPECT_EQ(DisplayWidth("ok 🎉!"), 6);
    EXPECT_EQ(DisplayWidth("한국어"), 6);
    EXPECT_EQ(DisplayWidth(""), 0);
}

TEST(DisplayWidthTest, CombiningMarksAndSelectorsTakeNoColumn) {
    EXPECT_EQ(DisplayWidth("e\u0301"), 1);       // e + combining acute
    EXPECT_EQ(DisplayWidth("\u2764\uFE0F"), 1);  // heart + VS16: wcwidth says 1, as terminals without
                                                 // grapheme support (tmux 3.3) draw it
    EXPECT_EQ(DisplayWidth("a\u200Db"), 2);      // ZWJ
}

TEST(DisplayWidthTest, MalformedBytesAndControlsCountOneColumnEach) {
    EXPECT_EQ(DisplayWidth("a\xff"
                           "b"),
              3);
    EXPECT_EQ(DisplayWidth("\x1b[31m"), 5);
}

TEST(DisplayWidthTest, DecodeAndEncodeRoundTrip) {
    const std::string text = "aé你😀";
    EXPECT_EQ(ToCodePoints(text), (std::u32string{U'a', U'é', U'你', U'😀'}));
    EXPECT_EQ(ToUtf8(ToCodePoints(text)), text);
    std::size_t pos = 0;
    EXPECT_EQ(DecodeUtf8("\xed\xa0\x80", pos), U'\uFFFD');  // a surrogate is not UTF-8
    EXPECT_EQ(pos, 1u);
    pos = 0;
    EXPECT_EQ(DecodeUtf8("\xc0\xaf", pos), U'\uFFFD');  // overlong
}

TEST(DisplayWidthTest, SanitizeDefusesEscapeSequences) {
    EXPECT_EQ(Sanitize("\x1b[2Jhi\tthere\n"), "\uFFFD[2Jhi there\n");
    EXPECT_EQ(Sanitize("a\nb", false), "a\uFFFDb");
    EXPECT_EQ(Sanitize("\xc2\x9b"), "\uFFFD");  // C1 CSI
}

TEST(DisplayWidthTest, TruncateNeverSplitsAWideCharacter) {
    EXPECT_EQ(TruncateToWidth("你好世界", 5), "你好");
    EXPECT_EQ(TruncateToWidth("你好世界", 4), "你好");
    EXPECT_EQ(TruncateToWidth("a😀b", 2), "a");
    EXPECT_EQ(TruncateToWidth("a😀b", 3), "a😀");
    EXPECT_EQ(TruncateToWidth("e\u0301x", 1), "e\u0301");  // the mark stays with its letter
    EXPECT_EQ(TruncateToWidth("abc", 0), "");
}

TEST(DisplayWidthTest, WrapBreaksAtSpacesOrBetweenCharacters) {
    EXPECT_EQ(WrapText("the quick brown fox", 10), (std::vector<std::string>{"the quick", "brown fox"}));
    EXPECT_EQ(WrapText("abcdefghij", 4), (std::vector<std::string>{"abcd", "efgh", "ij"}));
    EXPECT_EQ(WrapText("你好世界你好", 5), (std::vector<std::string>{"你好", "世界", "你好"}));
    EXPECT_EQ(WrapText("one\ntwo", 10), (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(WrapText("", 10), (std::vector<std::string>{""}));
    EXPECT_EQ(WrapText("😀😀😀", 3), (std::vector<std::string>{"😀", "😀", "😀"}));
}

TEST(DisplayWidthTest, WrappedLinesNeverExceedTheWidth) {
    const std::string text = "mixed 你好 text 😀🎉 with ideographs 漢字漢字漢字 and a verylongwordwithoutspaces end";
    for (int width = 1; width <= 20; ++width) {
        for (const auto& line : WrapText(text, width)) EXPECT_LE(DisplayWidth(line), std::max(width, 2)) << line;
    }
}

TEST(DisplayWidthTest, AWordMovedDownWithAWideCharacterStillFits) {
    for (const auto& line : WrapText("a bbbbbbbb你", 10)) EXPECT_LE(DisplayWidth(line), 10) << line;
}

}  // namespace
}  // namespace rooms::tui
