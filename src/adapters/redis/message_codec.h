#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/types.h"

namespace rooms {

/// How a Message is stored in Redis: a JSON object with every field, {"id","room_id","user_id","nickname",
/// "content","time_created","type"}; time_created in microseconds since the Unix epoch, type as "message",
/// "join" or "leave". Ids are JSON integers (64-bit exact; Boost.JSON keeps them as integers).
std::string EncodeStoredMessage(const Message& message);

/// nullopt when `text` is not a stored message (corrupt, or written by an incompatible version).
std::optional<Message> DecodeStoredMessage(std::string_view text);

}  // namespace rooms
