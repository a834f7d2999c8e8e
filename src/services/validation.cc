#include "services/validation.h"

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

}  // namespace

std::optional<Error> ValidateNickname(std::string_view nickname) {
    return ValidateText("nickname", nickname, kNicknameMin, kNicknameMax);
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
