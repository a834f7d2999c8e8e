#include "services/validation.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/text.h"

namespace rooms {

namespace {

std::optional<Error> ValidateText(std::string_view field, std::string_view value, std::size_t min, std::size_t max) {
    const std::string f(field);
    if (!IsValidUtf8(value)) return InvalidArgument(f + " must be valid UTF-8");
    const std::size_t n = CodePointCount(value);
    if (n < min || n > max)
        return InvalidArgument(f + " must be " + std::to_string(min) + " to " + std::to_string(max) + " characters");
    if (IsBlank(value)) return InvalidArgument(f + " must not be blank");
    if (HasControlCharacters(value)) return InvalidArgument(f + " must not contain control characters");
    return std::nullopt;
}

[[noreturn]] void IcuFailure(const char* what, UErrorCode status) {
    throw std::runtime_error(std::string("icu: ") + what + ": " + u_errorName(status) +
                             " (is the ICU data library, libicu72, installed?)");
}

const icu::Normalizer2& Normalizer(const icu::Normalizer2* (*instance)(UErrorCode&), const char* what) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = instance(status);
    if (U_FAILURE(status) || n == nullptr) IcuFailure(what, status);
    return *n;
}

const icu::Normalizer2& Nfc() {
    static const icu::Normalizer2& nfc = Normalizer(&icu::Normalizer2::getNFCInstance, "NFC normalizer");
    return nfc;
}

const icu::Normalizer2& NfkcCasefold() {
    static const icu::Normalizer2& fold =
        Normalizer(&icu::Normalizer2::getNFKCCasefoldInstance, "NFKC_Casefold normalizer");
    return fold;
}

struct SpoofCheckerDeleter {
    void operator()(USpoofChecker* sc) const { uspoof_close(sc); }
};

/// ICU's TS #39 data. ICU documents getSkeleton on one checker as safe from several threads once configured;
/// it is configured here, once, and never changed.
const USpoofChecker& SpoofChecker() {
    static const std::unique_ptr<USpoofChecker, SpoofCheckerDeleter> checker = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<USpoofChecker, SpoofCheckerDeleter> sc(uspoof_open(&status));
        if (U_FAILURE(status)) IcuFailure("spoof checker", status);
        return sc;
    }();
    return *checker;
}

std::string ToUtf8(const icu::UnicodeString& s) {
    std::string out;
    s.toUTF8String(out);
    return out;
}

std::string CodePointName(char32_t cp) {
    char buf[16] = {};
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

bool IsVariationSelector(char32_t cp) { return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF); }

/// Characters that are invisible, reorder the text around them, or mean nothing yet: each lets two names that
/// render alike differ. Variation selectors stay allowed (emoji presentation), as the key ignores them anyway.
bool IsHiddenCharacter(char32_t cp) {
    const auto c = static_cast<UChar32>(cp);
    switch (u_charType(c)) {
        case U_CONTROL_CHAR:
        case U_FORMAT_CHAR:  // zero-width space and joiners, bidirectional marks, overrides and isolates
        case U_LINE_SEPARATOR:
        case U_PARAGRAPH_SEPARATOR:
        case U_PRIVATE_USE_CHAR:
        case U_SURROGATE:
        case U_UNASSIGNED:
            return true;
        default:
            break;
    }
    if (u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) return true;
    return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) && !IsVariationSelector(cp);
}

}  // namespace

std::optional<Error> ValidateNickname(std::string_view nickname) {
    auto normalized = NormalizeNickname(nickname);
    if (!normalized.ok()) return normalized.error();
    return std::nullopt;
}

Result<Nickname> NormalizeNickname(std::string_view nickname) {
    if (!IsValidUtf8(nickname)) return InvalidArgument("nickname must be valid UTF-8");
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString nfc = Nfc().normalize(icu::UnicodeString::fromUTF8(nickname), status);
    if (U_FAILURE(status)) IcuFailure("NFC", status);
    Nickname out{ToUtf8(nfc), {}};
    if (auto err = ValidateText("nickname", out.text, kNicknameMin, kNicknameMax)) return *err;
    // Valid UTF-8 of at least kNicknameMin code points (ValidateText).
    char32_t first = 0, last = 0;
    DecodeCodePoint(out.text, 0, first);
    for (std::size_t i = 0; i < out.text.size();) {
        i += DecodeCodePoint(out.text, i, last);
        if (IsHiddenCharacter(last))
            return InvalidArgument("nickname must not contain invisible, control or bidirectional characters (" +
                                   CodePointName(last) + ")");
    }
    if (u_isUWhiteSpace(static_cast<UChar32>(first)) || u_isUWhiteSpace(static_cast<UChar32>(last)))
        return InvalidArgument("nickname must not start or end with a space");
    out.key = NicknameKey(out.text);
    return out;
}

std::string NicknameKey(std::string_view nickname) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString folded = NfkcCasefold().normalize(icu::UnicodeString::fromUTF8(nickname), status);
    if (U_FAILURE(status)) IcuFailure("NFKC_Casefold", status);
    icu::UnicodeString skeleton;
    uspoof_getSkeletonUnicodeString(&SpoofChecker(), 0, folded, skeleton, &status);
    if (U_FAILURE(status)) IcuFailure("skeleton", status);
    return ToUtf8(skeleton);
}

std::optional<Error> ValidatePassword(std::string_view password) {
    if (!IsValidUtf8(password)) return InvalidArgument("password must be valid UTF-8");
    const std::size_t n = CodePointCount(password);
    if (n < kPasswordMin || n > kPasswordMax)
        return InvalidArgument("password must be " + std::to_string(kPasswordMin) + " to " +
                               std::to_string(kPasswordMax) + " characters");
    return std::nullopt;
}

std::optional<Error> ValidateRoomName(std::string_view name) { return ValidateText("name", name, 1, kRoomNameMax); }

std::optional<Error> ValidateMessageContent(std::string_view content, std::int64_t max_bytes) {
    if (static_cast<std::int64_t>(content.size()) > max_bytes)
        return InvalidArgument("message is too long: at most " + std::to_string(max_bytes) + " bytes");
    if (!IsValidUtf8(content)) return InvalidArgument("message must be valid UTF-8");
    if (IsBlank(content)) return InvalidArgument("message must not be empty");
    // PostgreSQL text cannot hold U+0000, and no client means to send it.
    if (content.find('\0') != std::string_view::npos) return InvalidArgument("message must not contain NUL characters");
    return std::nullopt;
}

}  // namespace rooms
