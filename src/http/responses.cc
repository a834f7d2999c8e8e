#include "http/responses.h"

#include <algorithm>
#include <string>

#include "http/json_codec.h"

namespace rooms {

http::status StatusFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument:
            return http::status::bad_request;
        case ErrorCode::kUnauthenticated:
            return http::status::unauthorized;
        case ErrorCode::kNotFound:
            return http::status::not_found;
        case ErrorCode::kConflict:
            return http::status::conflict;
        case ErrorCode::kTooLarge:
            return http::status::payload_too_large;
        case ErrorCode::kRateLimited:
            return http::status::too_many_requests;
        case ErrorCode::kUnavailable:
            return http::status::service_unavailable;
        case ErrorCode::kInternal:
            break;
    }
    return http::status::internal_server_error;
}

Response JsonResponse(http::status status, std::string body) {
    Response res{status, 11};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = std::move(body);
    return res;
}

Response ErrorResponse(http::status status, std::string_view message) {
    return JsonResponse(status, json::serialize(json::object{{"message", message}}));
}

Response ErrorResponse(const Error& error) {
    Response res = ErrorResponse(StatusFor(error.code), error.message);
    if (error.code == ErrorCode::kRateLimited)
        res.set(http::field::retry_after, std::to_string(std::max(1, error.retry_after_s)));
    return res;
}

}  // namespace rooms
