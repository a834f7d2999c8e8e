#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rooms::client {

/// The `iat` and `exp` claims of a JWT, read without verifying it (the client cannot; the server does).
struct JwtTimes {
    std::optional<std::int64_t> issued_at;  // seconds since the epoch
    std::int64_t expires_at = 0;
};

/// nullopt when `token` is not a JWT with a numeric `exp`.
std::optional<JwtTimes> ReadJwtTimes(std::string_view token);

/// How long after receiving the token to refresh it: at `fraction` (0.8) of its lifetime. The lifetime is
/// exp - iat as the server wrote them, so a skewed local clock does not matter; without `iat` it is
/// exp - `now_epoch_s`. Never less than `floor`; nullopt times (not a JWT) give `fallback`.
std::chrono::milliseconds RefreshDelay(const std::optional<JwtTimes>& times, std::int64_t now_epoch_s,
                                       double fraction = 0.8, std::chrono::milliseconds floor = std::chrono::seconds(5),
                                       std::chrono::milliseconds fallback = std::chrono::minutes(5));

}  // namespace rooms::client
