#pragma once

#include <string>
#include <utility>
#include <variant>

namespace rooms {

/// Expected failures of the domain. Mapped to HTTP statuses and WebSocket frames in one place
/// (http/responses.cc); never used for bugs, which throw.
enum class ErrorCode {
    kInvalidArgument,  // 400
    kUnauthenticated,  // 401
    kNotFound,         // 404
    kConflict,         // 409
    kTooLarge,         // 413
    kRateLimited,      // 429
    kUnavailable,      // 503
    kInternal,         // 500
};

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;
    int retry_after_s = 0;  // kRateLimited: when to try again (HTTP Retry-After); 0: not said
};

inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }

/// A value or an Error (std::expected is C++23).
template <typename T>
class Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

}  // namespace rooms
