#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "domain/error.h"

namespace rooms {

// Each returns the error to show the client, naming the field, or nullopt when the value is valid.
std::optional<Error> ValidateNickname(std::string_view nickname);
std::optional<Error> ValidatePassword(std::string_view password);
std::optional<Error> ValidateRoomName(std::string_view name);
std::optional<Error> ValidateMessageContent(std::string_view content, std::int64_t max_bytes);

inline constexpr std::size_t kNicknameMin = 3, kNicknameMax = 50;
inline constexpr std::size_t kPasswordMin = 8, kPasswordMax = 128;
inline constexpr std::size_t kRoomNameMax = 50;

}  // namespace rooms
