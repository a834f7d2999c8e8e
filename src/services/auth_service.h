#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/settings.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "domain/error.h"
#include "domain/ports.h"
#include "domain/time_source.h"

namespace rooms {

struct TokenPair {
    UserId user_id = 0;
    std::string nickname;
    std::string access_token;
    std::string refresh_token;
};

/// Registration, login, token rotation. Register, Login, Refresh and Logout block (Argon2id, stores): call
/// them from a worker thread. Authenticate is cheap and safe on an I/O thread. Thread-safe.
class AuthService {
  public:
    /// Uses auth.access_token_ttl_s and auth.refresh_token_ttl_s.
    AuthService(UserStore& users, RefreshTokenStore& tokens, const PasswordHasher& hasher, const JwtCodec& jwt,
                const AuthSettings& settings, const TimeSource& time);

    Result<User> Register(std::string_view nickname, std::string_view password);
    /// The same Unauthenticated("invalid credentials") for an unknown nickname and a wrong password.
    Result<TokenPair> Login(std::string_view nickname, std::string_view password);
    /// Rotates: the presented token is spent and a new pair returned. Presenting a spent token revokes its
    /// whole family (the login session), since either the client or a thief replayed it.
    Result<TokenPair> Refresh(std::string_view refresh_token);
    /// Revokes the session (token family) of the given refresh token. Unknown tokens are ignored.
    void Logout(std::string_view refresh_token);

    Result<Principal> Authenticate(std::string_view access_token) const;

  private:
    TokenPair IssuePair(const Principal& who, std::string_view family);

    UserStore& users_;
    RefreshTokenStore& tokens_;
    const PasswordHasher& hasher_;
    const JwtCodec& jwt_;
    const std::chrono::seconds access_ttl_;
    const std::chrono::seconds refresh_ttl_;
    const TimeSource& time_;
};

/// 256 random bits, base64url.
inline constexpr std::size_t kRefreshTokenBytes = 32;

}  // namespace rooms
