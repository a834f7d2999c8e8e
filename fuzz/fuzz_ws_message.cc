// A WebSocket text frame as the session sees it: ValidateMessageContent and the text checks behind it.
// Differential: IsValidUtf8, CodePointCount and IsBlank are compared with a deliberately naive reference
// decoder written from RFC 3629's table, so a fast-path bug in either shows up as a disagreement.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "services/validation.h"

namespace {

/// RFC 3629 section 4 (the well-formed byte sequences), one row per line of the table. Returns the code
/// points, or nullopt when `s` is not well-formed UTF-8.
std::optional<std::vector<char32_t>> ReferenceDecode(std::string_view s) {
    struct Row {
        unsigned char lo[4], hi[4];
        int len;
    };
    static constexpr Row kTable[] = {
        {{0x00}, {0x7F}, 1},
        {{0xC2, 0x80}, {0xDF, 0xBF}, 2},
        {{0xE0, 0xA0, 0x80}, {0xE0, 0xBF, 0xBF}, 3},
        {{0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, 3},
        {{0xED, 0x80, 0x80}, {0xED, 0x9F, 0xBF}, 3},
        {{0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, 3},
        {{0xF0, 0x90, 0x80, 0x80}, {0xF0, 0xBF, 0xBF, 0xBF}, 4},
        {{0xF1, 0x80, 0x80, 0x80}, {0xF3, 0xBF, 0xBF, 0xBF}, 4},
        {{0xF4, 0x80, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, 4},
    };
    std::vector<char32_t> out;
    std::size_t i = 0;
    while (i < s.size()) {
        bool matched = false;
        for (const Row& row : kTable) {
            if (i + static_cast<std::size_t>(row.len) > s.size()) continue;
            bool ok = true;
            for (int k = 0; k < row.len && ok; ++k) {
                const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
                ok = b >= row.lo[k] && b <= row.hi[k];
            }
            if (!ok) continue;
            char32_t cp = 0;
            const auto b0 = static_cast<unsigned char>(s[i]);
            cp = row.len == 1 ? b0 : row.len == 2 ? (b0 & 0x1F) : row.len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
            for (int k = 1; k < row.len; ++k)
                cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
            out.push_back(cp);
            i += static_cast<std::size_t>(row.len);
            matched = true;
            break;
        }
        if (!matched) return std::nullopt;
    }
    return out;
}

/// Unicode White_Space plus the format characters text.cc also counts as blank (U+180E, U+200B, U+FEFF).
bool ReferenceSpace(char32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000 || cp == 0x180E || cp == 0x200B || cp == 0xFEFF;
}

[[noreturn]] void Fail(const char* what) {
    std::fprintf(stderr, "fuzz_ws_message: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view s(reinterpret_cast<const char*>(data), size);

    const auto reference = ReferenceDecode(s);
    const bool valid = rooms::IsValidUtf8(s);
    if (valid != reference.has_value())
        Fail(valid ? "IsValidUtf8 accepts ill-formed UTF-8" : "IsValidUtf8 rejects well-formed UTF-8");
    if (valid) {
        if (rooms::CodePointCount(s) != reference->size()) Fail("CodePointCount disagrees with the reference");
        bool blank = true;
        for (char32_t cp : *reference) blank = blank && ReferenceSpace(cp);
        if (rooms::IsBlank(s) != blank) Fail("IsBlank disagrees with the reference");
        bool control = false;
        for (char32_t cp : *reference) control = control || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
        if (rooms::HasControlCharacters(s) != control) Fail("HasControlCharacters disagrees with the reference");
    }

    // The server's contract for a frame: accepted exactly when it fits, is well-formed, not blank, no NUL.
    for (std::int64_t max_bytes : {std::int64_t{4096}, std::int64_t{16}}) {
        const auto err = rooms::ValidateMessageContent(s, max_bytes);
        const bool expect_ok = static_cast<std::int64_t>(size) <= max_bytes && valid && !rooms::IsBlank(s) &&
                               s.find('\0') == std::string_view::npos;
        if (err.has_value() == expect_ok) Fail("ValidateMessageContent breaks its contract");
        if (err && err->message.empty()) Fail("ValidateMessageContent gave an error without a message");
    }
    // The other validated texts must not crash on anything either.
    (void)rooms::ValidateNickname(s);
    (void)rooms::ValidatePassword(s);
    (void)rooms::ValidateRoomName(s);
    return 0;
}
