#pragma once

// How a Message travels between processes and is stored outside SQL: the value of a Kafka record in the
// `messages` topic and an entry of a Redis history list. Value: one JSON object with every field of a Message,
//   {"id":…,"room_id":…,"user_id":…,"nickname":"…","content":"…","time_created":<µs since epoch>,"type":"message"}
// ids and times as JSON integers, type one of "message" | "join" | "leave". Record key: the room id in decimal,
// so every message of a room lands in one partition and keeps its order. Unknown fields are ignored when
// decoding, so a newer producer can add fields without breaking older consumers.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"
#include "domain/types.h"

namespace rooms {

/// The most content bytes a message may have anywhere: the upper bound of chat.max_message_bytes and the
/// database's limit (migrations/postgres/0002_message_limits). A record over it comes from no gateway: consumers
/// dead-letter it and fan-outs do not show it.
inline constexpr std::size_t kMaxContentBytes = 65536;

/// "message", "join" or "leave".
std::string_view MessageTypeName(MessageType type);
std::optional<MessageType> ParseMessageType(std::string_view name);

/// The record value of a message. Thread-safe (pure).
std::string EncodeMessage(const Message& message);

/// The record key of a message: its room id in decimal. Thread-safe (pure).
std::string MessageKey(const Message& message);

/// Parses a record value. InvalidArgument (never an exception) when it is not JSON, lacks a field, has a field
/// of the wrong type or an unknown message type. Thread-safe (pure).
Result<Message> DecodeMessage(std::string_view value);

}  // namespace rooms
