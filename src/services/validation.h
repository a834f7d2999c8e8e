#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"

namespace rooms {

// Each returns the error to show the client, naming the field, or nullopt when the value is valid.
std::optional<Error> ValidateNickname(std::string_view nickname);
std::optional<Error> ValidatePassword(std::string_view password);
std::optional<Error> ValidateRoomName(std::string_view name);
std::optional<Error> ValidateMessageContent(std::string_view content, std::int64_t max_bytes);

/// A nickname as registered: what is stored and shown, and what uniqueness is decided on.
struct Nickname {
    std::string text;  ///< the NFC form of what was typed
    std::string key;   ///< NicknameKey(text)
};

/// Validates a nickname for registration and normalises it (Unicode NFC). Refused, with a message naming the
/// field and the reason: not 3-50 code points, blank, a leading or trailing space, or any control, format
/// (zero-width, bidirectional override...), private-use, unassigned or default-ignorable character.
Result<Nickname> NormalizeNickname(std::string_view nickname);

/// Two nicknames that look alike have the same key: the Unicode TS #39 confusable skeleton (ICU's spoof checker)
/// of the NFKC case fold. So `Alice`, `alice`, Cyrillic `Аlice` and fullwidth `Ａlice` share one key. Never fails:
/// invalid UTF-8 is keyed as its U+FFFD replacement. Thread-safe.
std::string NicknameKey(std::string_view nickname);

inline constexpr std::size_t kNicknameMin = 3, kNicknameMax = 50;
inline constexpr std::size_t kPasswordMin = 8, kPasswordMax = 128;
inline constexpr std::size_t kRoomNameMax = 50;

}  // namespace rooms
