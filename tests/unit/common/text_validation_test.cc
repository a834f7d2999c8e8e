#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "common/text.h"
#include "services/validation.h"
#include "support/test_messages.h"
#include "test_util.h"

namespace rooms {
namespace {

std::string Repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

// Byte sequences that are not UTF-8, each with a reason.
const std::vector<std::pair<std::string, std::string>> kInvalidUtf8 = {
    {"\x80", "lone continuation byte"},
    {"\xbf", "lone continuation byte"},
    {"\xc0\x80", "overlong NUL"},
    {"\xc0\xaf", "overlong '/'"},
    {"\xc1\xbf", "overlong 2-byte"},
    {"\xe0\x80\xaf", "overlong 3-byte '/'"},
    {"\xe0\x9f\xbf", "overlong 3-byte U+07FF"},
    {"\xf0\x80\x80\xaf", "overlong 4-byte '/'"},
    {"\xf0\x8f\xbf\xbf", "overlong 4-byte U+FFFF"},
    {"\xed\xa0\x80", "high surrogate U+D800"},
    {"\xed\xbf\xbf", "low surrogate U+DFFF"},
    {"\xed\xa0\xbd\xed\xb8\x80", "CESU-8 surrogate pair"},
    {"\xf4\x90\x80\x80", "U+110000, above U+10FFFF"},
    {"\xf7\xbf\xbf\xbf", "U+1FFFFF"},
    {"\xf8\x88\x80\x80\x80", "5-byte sequence"},
    {"\xfc\x84\x80\x80\x80\x80", "6-byte sequence"},
    {"\xfe", "byte 0xFE"},
    {"\xff", "byte 0xFF"},
    {"\xc3", "truncated 2-byte"},
    {"\xe6\x97", "truncated 3-byte"},
    {"\xf0\x9f\x98", "truncated 4-byte"},
    {"\xe6\x97"
     "a",
     "3-byte interrupted by ASCII"},
    {"\xc3\xc3\xa9", "lead byte followed by lead byte"},
};

// --- common/text.h -------------------------------------------------------------------------------------

TEST(Utf8Test, AcceptsWellFormedBoundaries) {
    const std::vector<std::string> valid = {
        "",
        "plain ascii",
        std::string("a\0b", 3),  // NUL is a valid code point (a control character)
        "\x7f",                  // U+007F
        "\xc2\x80",              // U+0080
        "\xdf\xbf",              // U+07FF
        "\xe0\xa0\x80",          // U+0800
        "\xed\x9f\xbf",          // U+D7FF, just below the surrogates
        "\xee\x80\x80",          // U+E000, just above
        "\xef\xbf\xbf",          // U+FFFF
        "\xf0\x90\x80\x80",      // U+10000
        "\xf4\x8f\xbf\xbf",      // U+10FFFF
        "Zoë 日本語 😀",
    };
    for (const auto& s : valid) EXPECT_TRUE(IsValidUtf8(s)) << ::testing::PrintToString(s);
}

TEST(Utf8Test, RefusesMalformedSequences) {
    for (const auto& [bytes, why] : kInvalidUtf8) {
        EXPECT_FALSE(IsValidUtf8(bytes)) << why;
        EXPECT_FALSE(IsValidUtf8("ok" + bytes + "ok")) << why << " (embedded)";
    }
}

TEST(Utf8Test, CountsCodePoints) {
    EXPECT_EQ(CodePointCount(""), 0u);
    EXPECT_EQ(CodePointCount("abc"), 3u);
    EXPECT_EQ(CodePointCount("héllo"), 5u);
    EXPECT_EQ(CodePointCount("日本語"), 3u);
    EXPECT_EQ(CodePointCount("😀😀"), 2u);
    EXPECT_EQ(CodePointCount("a\xf4\x8f\xbf\xbfz"), 3u);
}

TEST(TextTest, IsBlank) {
    EXPECT_TRUE(IsBlank(""));
    EXPECT_TRUE(IsBlank(" "));
    EXPECT_TRUE(IsBlank(" \t\r\n\v\f"));
    EXPECT_TRUE(IsBlank("\xc2\xa0"));                  // NO-BREAK SPACE
    EXPECT_TRUE(IsBlank("\xe3\x80\x80"));              // IDEOGRAPHIC SPACE
    EXPECT_TRUE(IsBlank("\xe2\x80\x83\xe2\x80\xa8"));  // EM SPACE, LINE SEPARATOR
    EXPECT_FALSE(IsBlank("a"));
    EXPECT_FALSE(IsBlank("  a  "));
    EXPECT_FALSE(IsBlank(" 日 "));
    EXPECT_FALSE(IsBlank("\xff"));
}

TEST(TextTest, HasControlCharacters) {
    EXPECT_FALSE(HasControlCharacters(""));
    EXPECT_FALSE(HasControlCharacters("Zoë 日本語 😀"));
    EXPECT_FALSE(HasControlCharacters("\xc2\xa0"));  // U+00A0 is the first non-control after C1
    EXPECT_TRUE(HasControlCharacters(std::string("a\0b", 3)));
    EXPECT_TRUE(HasControlCharacters("a\x01"));
    EXPECT_TRUE(HasControlCharacters("tab\there"));
    EXPECT_TRUE(HasControlCharacters("line\n"));
    EXPECT_TRUE(HasControlCharacters("\x1f"));
    EXPECT_TRUE(HasControlCharacters("\x7f"));      // DEL
    EXPECT_TRUE(HasControlCharacters("\xc2\x80"));  // C1 start
    EXPECT_TRUE(HasControlCharacters("\xc2\x9f"));  // C1 end
}

TEST(TextTest, ParseId) {
    EXPECT_EQ(ParseId("1"), 1);
    EXPECT_EQ(ParseId("42"), 42);
    EXPECT_EQ(ParseId("9223372036854775807"), INT64_MAX);
    const std::vector<std::string> bad = {"",
                                          "0",
                                          "-1",
                                          "+1",
                                          " 1",
                                          "1 ",
                                          "1.0",
                                          "1e3",
                                          "abc",
                                          "12a",
                                          "0x10",
                                          "９",
                                          "-0",
                                          "9223372036854775808",
                                          "99999999999999999999",
                                          std::string("1\0", 2)};
    for (const auto& s : bad) EXPECT_FALSE(ParseId(s).has_value()) << ::testing::PrintToString(s);
}

TEST(TextTest, FormatTimeIsRfc3339WithMicrosecondsInUtc) {
    EXPECT_EQ(FormatTime(unit::FixedTime()), "2026-11-29T02:31:00.123456Z");
    EXPECT_EQ(FormatTime(TimePoint{}), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(FormatTime(TimePoint{std::chrono::microseconds(1)}), "1970-01-01T00:00:00.000001Z");
    EXPECT_EQ(FormatTime(TimePoint{std::chrono::microseconds(-1)}), "1969-12-31T23:59:59.999999Z");
    using namespace std::chrono;
    const TimePoint leap_day = time_point_cast<microseconds>(sys_days{year{2024} / February / 29}) + hours{23} +
                               minutes{59} + seconds{59} + microseconds{999999};
    EXPECT_EQ(FormatTime(leap_day), "2024-02-29T23:59:59.999999Z");

    const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");
    EXPECT_TRUE(std::regex_match(FormatTime(test_support::Now()), rfc3339)) << FormatTime(test_support::Now());
}

// --- services/validation.h -----------------------------------------------------------------------------

void ExpectInvalid(const std::optional<Error>& err, std::string_view field, std::string_view detail = "") {
    ASSERT_TRUE(err.has_value()) << "accepted";
    EXPECT_EQ(err->code, ErrorCode::kInvalidArgument);
    EXPECT_NE(err->message.find(field), std::string::npos) << err->message;
    if (!detail.empty()) {
        EXPECT_NE(err->message.find(detail), std::string::npos) << err->message;
    }
}

void ExpectValid(const std::optional<Error>& err) { EXPECT_FALSE(err.has_value()) << "refused: " << err->message; }

TEST(ValidationTest, NicknameLengthCountsCodePoints) {
    ExpectValid(ValidateNickname("abc"));
    ExpectValid(ValidateNickname(std::string(50, 'a')));
    ExpectValid(ValidateNickname("äöü"));             // 3 code points, 6 bytes
    ExpectValid(ValidateNickname("😀😀😀"));             // 3 code points, 12 bytes
    ExpectValid(ValidateNickname(Repeat("日", 50)));  // 50 code points, 150 bytes
    ExpectValid(ValidateNickname("a b"));             // inner space is fine
    ExpectInvalid(ValidateNickname(""), "nickname");
    ExpectInvalid(ValidateNickname("ab"), "nickname");
    ExpectInvalid(ValidateNickname("日本"), "nickname");  // 6 bytes but 2 code points
    ExpectInvalid(ValidateNickname(std::string(51, 'a')), "nickname");
    ExpectInvalid(ValidateNickname(Repeat("日", 51)), "nickname");
    ExpectInvalid(ValidateNickname(Repeat("😀", 51)), "nickname");
}

TEST(ValidationTest, NicknameMustNotBeBlank) {
    ExpectInvalid(ValidateNickname("   "), "nickname", "blank");
    ExpectInvalid(ValidateNickname(std::string(10, ' ')), "nickname", "blank");
    ExpectInvalid(ValidateNickname("\xe3\x80\x80\xe3\x80\x80\xe3\x80\x80"), "nickname", "blank");
    ExpectInvalid(ValidateNickname("\xc2\xa0\xc2\xa0\xc2\xa0"), "nickname", "blank");
}

TEST(ValidationTest, NicknameMustNotContainControlCharacters) {
    for (const std::string& s :
         {std::string("ab\tc"), std::string("abc\n"), std::string("ab\rc"), std::string("a\x1b[31m"),
          std::string("abc\x7f"), std::string("ab\xc2\x85"), std::string("abc\0", 4)}) {
        SCOPED_TRACE(::testing::PrintToString(s));
        ExpectInvalid(ValidateNickname(s), "nickname", "control");
    }
}

TEST(ValidationTest, NicknameMustBeUtf8) {
    for (const auto& [bytes, why] : kInvalidUtf8) {
        SCOPED_TRACE(why);
        ExpectInvalid(ValidateNickname("abc" + bytes), "nickname", "UTF-8");
        ExpectInvalid(ValidateNickname(bytes + "abc"), "nickname", "UTF-8");
    }
    // Byte soup that a byte- or lead-byte-counting length check alone would let through.
    ExpectInvalid(ValidateNickname("\xc3\xc3\xc3"), "nickname", "UTF-8");
    ExpectInvalid(ValidateNickname("ab\x80\x80\x80"), "nickname", "UTF-8");
}

// Item 9 of issue 12: every variant that registered as a new user before.
TEST(ValidationTest, LookAlikeNicknamesShareOneKey) {
    const std::string key = NicknameKey("Alice");
    EXPECT_FALSE(key.empty());
    const std::pair<std::string, std::string> same[] = {
        {"alice", "lower case"},
        {"ALICE", "upper case"},
        {"\xD0\x90lice", "Cyrillic capital A (U+0410)"},
        {"\xD0\xB0lice", "Cyrillic small a (U+0430)"},
        {"\xEF\xBC\xA1lice", "fullwidth A (U+FF21)"},
        {"\xEF\xBC\xA1\xEF\xBD\x8C\xEF\xBD\x89\xEF\xBD\x83\xEF\xBD\x85", "all fullwidth"},
        {"A\xE2\x80\x8Blice", "with a zero-width space (also refused by NormalizeNickname)"},
    };
    for (const auto& [variant, what] : same) {
        SCOPED_TRACE(what);
        EXPECT_EQ(NicknameKey(variant), key);
    }
    EXPECT_EQ(NicknameKey("Zoe\xCC\x88"), NicknameKey("Zo\xC3\xAB")) << "NFD and NFC";
    EXPECT_NE(NicknameKey("Alicia"), key);
    EXPECT_NE(NicknameKey("Bob"), key);
}

TEST(ValidationTest, NormalizeNicknameGivesTheNfcFormAndItsKey) {
    auto n = NormalizeNickname("Zoe\xCC\x88");
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_EQ(n->text, "Zo\xC3\xAB");
    EXPECT_EQ(n->key, NicknameKey("zo\xC3\xAB"));
    // Length counts the NFC form: 3 code points in NFC, 4 in NFD.
    EXPECT_TRUE(NormalizeNickname("Zoe\xCC\x88").ok());
    EXPECT_TRUE(NormalizeNickname(Repeat("e\xCC\x81", 50)).ok()) << "50 code points once composed";
    // Inner spaces and emoji with a variation selector are fine.
    EXPECT_TRUE(NormalizeNickname("Mary Ann").ok());
    EXPECT_TRUE(NormalizeNickname("\xE2\x9D\xA4\xEF\xB8\x8F\xE2\x9D\xA4\xEF\xB8\x8F\xE2\x9D\xA4").ok());
}

TEST(ValidationTest, NicknameMustNotHideCharacters) {
    const std::pair<std::string, std::string> hidden[] = {
        {"Alice\xE2\x80\x8B", "U+200B"},  // zero-width space
        {"Al\xE2\x80\x8Dice", "U+200D"},  // zero-width joiner
        {"\xE2\x80\xAE"
         "Alice",
         "U+202E"},                       // right-to-left override
        {"Alice\xE2\x81\xA6", "U+2066"},  // left-to-right isolate
        {"Ali\xE2\x80\x8F"
         "ce",
         "U+200F"},  // right-to-left mark
        {"Ali\xC2\xAD"
         "ce",
         "U+00AD"},  // soft hyphen
        {"\xEF\xBB\xBF"
         "Alice",
         "U+FEFF"},  // byte order mark
        {"Ali\xE3\x85\xA4"
         "ce",
         "U+3164"},  // Hangul filler (default-ignorable, a letter by category)
        {"Ali\xEE\x80\x80"
         "ce",
         "U+E000"},  // private use
        {"Ali\xCD\xB8"
         "ce",
         "U+0378"},  // unassigned
        {"Ali\xE2\x80\xA8"
         "ce",
         "U+2028"},  // line separator
    };
    for (const auto& [nickname, cp] : hidden) {
        SCOPED_TRACE(cp);
        auto n = NormalizeNickname(nickname);
        ASSERT_FALSE(n.ok()) << "accepted";
        EXPECT_EQ(n.error().code, ErrorCode::kInvalidArgument);
        EXPECT_NE(n.error().message.find("nickname must not contain invisible, control or bidirectional characters"),
                  std::string::npos)
            << n.error().message;
        EXPECT_NE(n.error().message.find(cp), std::string::npos) << n.error().message;
    }
}

TEST(ValidationTest, NicknameMustNotStartOrEndWithSpace) {
    for (const std::string& s : {std::string(" Alice"), std::string("Alice "),
                                 std::string("\xC2\xA0"
                                             "Alice"),
                                 std::string("Alice\xE3\x80\x80")}) {
        SCOPED_TRACE(::testing::PrintToString(s));
        ExpectInvalid(ValidateNickname(s), "nickname", "start or end with a space");
    }
}

TEST(ValidationTest, PasswordLength) {
    ExpectValid(ValidatePassword("12345678"));
    ExpectValid(ValidatePassword(std::string(128, 'p')));
    ExpectValid(ValidatePassword(Repeat("é", 8)));     // 8 code points, 16 bytes
    ExpectValid(ValidatePassword(Repeat("日", 128)));  // 128 code points, 384 bytes
    ExpectInvalid(ValidatePassword(""), "password");
    ExpectInvalid(ValidatePassword("1234567"), "password");
    ExpectInvalid(ValidatePassword(Repeat("日", 7)), "password");  // 21 bytes, 7 code points
    ExpectInvalid(ValidatePassword(std::string(129, 'p')), "password");
    ExpectInvalid(ValidatePassword(Repeat("日", 129)), "password");
    ExpectInvalid(ValidatePassword("12345678\xff"), "password", "UTF-8");
    ExpectInvalid(ValidatePassword("\xed\xa0\x80"
                                   "12345678"),
                  "password", "UTF-8");
}

TEST(ValidationTest, RoomName) {
    ExpectValid(ValidateRoomName("a"));
    ExpectValid(ValidateRoomName("General chat"));
    ExpectValid(ValidateRoomName("日"));
    ExpectValid(ValidateRoomName(std::string(50, 'r')));
    ExpectValid(ValidateRoomName(Repeat("😀", 50)));
    ExpectInvalid(ValidateRoomName(""), "name");
    ExpectInvalid(ValidateRoomName(std::string(51, 'r')), "name");
    ExpectInvalid(ValidateRoomName(Repeat("😀", 51)), "name");
    ExpectInvalid(ValidateRoomName(" "), "name", "blank");
    ExpectInvalid(ValidateRoomName("\t"), "name");
    ExpectInvalid(ValidateRoomName("room\n2"), "name", "control");
    ExpectInvalid(ValidateRoomName("\xc0\xaf"), "name", "UTF-8");
}

TEST(ValidationTest, MessageContentLimitIsInBytes) {
    ExpectValid(ValidateMessageContent("x", 10));
    ExpectValid(ValidateMessageContent("0123456789", 10));
    ExpectValid(ValidateMessageContent("日日日", 10));               // 9 bytes
    ExpectValid(ValidateMessageContent("line one\nline two", 100));  // newlines are fine in messages
    ExpectValid(ValidateMessageContent(std::string(4096, 'm'), 4096));
    ExpectInvalid(ValidateMessageContent("01234567890", 10), "message", "10 bytes");
    ExpectInvalid(ValidateMessageContent("日日日日", 10), "message");  // 4 code points, 12 bytes
    ExpectInvalid(ValidateMessageContent(std::string(4097, 'm'), 4096), "message");
}

TEST(ValidationTest, MessageContentMustNotBeBlank) {
    ExpectInvalid(ValidateMessageContent("", 100), "message");
    ExpectInvalid(ValidateMessageContent(" ", 100), "message");
    ExpectInvalid(ValidateMessageContent(" \t\r\n ", 100), "message");
    ExpectInvalid(ValidateMessageContent("\xe3\x80\x80\xc2\xa0", 100), "message");
    ExpectValid(ValidateMessageContent(" . ", 100));
}

TEST(ValidationTest, MessageContentMustBeUtf8) {
    for (const auto& [bytes, why] : kInvalidUtf8) {
        SCOPED_TRACE(why);
        ExpectInvalid(ValidateMessageContent("hello " + bytes, 4096), "message", "UTF-8");
    }
}

}  // namespace
}  // namespace rooms
