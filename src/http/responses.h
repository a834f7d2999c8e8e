#pragma once

#include <string>
#include <string_view>

#include "domain/error.h"
#include "http/asio.h"

namespace rooms {

/// The one place where domain errors become HTTP statuses.
http::status StatusFor(ErrorCode code);

Response JsonResponse(http::status status, std::string body);
/// {"message": ...} with the given status.
Response ErrorResponse(http::status status, std::string_view message);
Response ErrorResponse(const Error& error);

}  // namespace rooms
