#pragma once

#include <boost/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.h"
#include "domain/types.h"

namespace rooms {

namespace json = boost::json;

/// A message as clients see it: {"id","type","content","room_id","nickname","user_id","time_created"}.
json::object MessageToJson(const Message& m);
std::string SerializeMessage(const Message& m);
/// The first frame on join: the messages as a JSON array, in the given order.
std::string SerializeHistory(const std::vector<Message>& newest_first);
json::object RoomToJson(const Room& r);
/// {"type":"error","message":...}
std::string SerializeWsError(std::string_view message);

/// Parses a request body that must be a JSON object.
Result<json::object> ParseJsonObject(std::string_view body);
/// A required string field; InvalidArgument naming the field when missing or of another type.
Result<std::string> RequireString(const json::object& obj, std::string_view field);
/// A request body that must be a JSON object with these string fields: their values, in the same order;
/// the first problem found otherwise.
Result<std::vector<std::string>> ParseStringFields(std::string_view body,
                                                   std::initializer_list<std::string_view> fields);

}  // namespace rooms
