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
#include "services/session_registry.h"

namespace rooms {

struct TokenPair {
    UserId user_id = 0;
    std::string nickname;
    std::string access_token;
    std::string refresh_token;
};

/// Registration, login, token rotation, revocation. Register, Login, Refresh, Logout and BackfillNicknameKeys block
/// (Argon2id, stores, the revocation bus): call them from a worker thread. Authenticate is cheap and safe on an I/O
/// thread. Thread-safe.
///
/// A login session is a refresh-token family; its id is the access token's `sid`. Revoking it (logout, or a replayed
/// refresh token) revokes its refresh tokens in the store, marks it revoked in `sessions` (whose watchers, the room
/// sockets, close) and publishes it on `revocations` (when given: the distributed roles) so every other gateway does
/// the same.
class AuthService {
  public:
    /// Uses auth.access_token_ttl_s, auth.refresh_token_ttl_s and auth.refresh_reuse_grace_s. `revocations` may be
    /// null (one process: nobody else to tell).
    AuthService(UserStore& users, RefreshTokenStore& tokens, const PasswordHasher& hasher, const JwtCodec& jwt,
                const AuthSettings& settings, const TimeSource& time, SessionRegistry& sessions,
                RevocationBus* revocations);

    /// Validates and normalises the nickname (NormalizeNickname); Conflict when it, or a nickname that looks like it
    /// (the same NicknameKey), is taken.
    Result<User> Register(std::string_view nickname, std::string_view password);
    /// Finds the user by the exact nickname, else by its key (so `alice` logs in as `Alice`). The same
    /// Unauthenticated("invalid credentials") for an unknown nickname and a wrong password.
    Result<TokenPair> Login(std::string_view nickname, std::string_view password);
    /// Rotates: the presented token is spent and a new pair of the same session returned. A spent token presented
    /// again within auth.refresh_reuse_grace_s of its rotation (a client that sent it twice) gets another new pair of
    /// the same session, as Auth0's reuse interval does; later, it revokes the session, since either the client or
    /// a thief replayed it.
    Result<TokenPair> Refresh(std::string_view refresh_token);
    /// Revokes the session (token family) of the given refresh token. Unknown tokens are ignored.
    void Logout(std::string_view refresh_token);

    /// Unauthenticated for an invalid or expired token, and for a token of a revoked session.
    Result<Principal> Authenticate(std::string_view access_token) const;

    /// Gives users registered before nicknames had keys their key, lowest id first; of users whose nicknames look
    /// alike, the first keeps the key and the others none (they log in by their exact nickname). Returns how many
    /// were keyed.
    std::size_t BackfillNicknameKeys();

  private:
    TokenPair IssuePair(const Principal& who, std::string_view family);
    void RevokeSession(const std::string& family);

    UserStore& users_;
    RefreshTokenStore& tokens_;
    const PasswordHasher& hasher_;
    const JwtCodec& jwt_;
    const std::chrono::seconds access_ttl_;
    const std::chrono::seconds refresh_ttl_;
    const std::chrono::seconds reuse_grace_;
    const TimeSource& time_;
    SessionRegistry& sessions_;
    RevocationBus* const revocations_;
};

/// 256 random bits, base64url.
inline constexpr std::size_t kRefreshTokenBytes = 32;

}  // namespace rooms
