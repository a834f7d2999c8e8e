#include "services/auth_service.h"

#include <spdlog/spdlog.h>

#include "services/validation.h"

namespace rooms {

AuthService::AuthService(UserStore& users, RefreshTokenStore& tokens, const PasswordHasher& hasher, const JwtCodec& jwt,
                         const AuthSettings& settings, const TimeSource& time)
    : users_(users),
      tokens_(tokens),
      hasher_(hasher),
      jwt_(jwt),
      access_ttl_(settings.access_token_ttl_s),
      refresh_ttl_(settings.refresh_token_ttl_s),
      time_(time) {}

Result<User> AuthService::Register(std::string_view nickname, std::string_view password) {
    if (auto err = ValidateNickname(nickname)) return *err;
    if (auto err = ValidatePassword(password)) return *err;
    if (users_.FindByNickname(nickname)) return Conflict("nickname is already taken");
    return users_.Create(nickname, hasher_.Hash(password), time_.Now());
}

Result<TokenPair> AuthService::Login(std::string_view nickname, std::string_view password) {
    const auto invalid = Unauthenticated("invalid credentials");
    // Shape errors are the client's bug and safe to name; they reveal nothing about which users exist.
    if (nickname.empty()) return InvalidArgument("nickname is required");
    if (password.empty()) return InvalidArgument("password is required");
    auto user = users_.FindByNickname(nickname);
    if (!user) {
        hasher_.VerifyDummy(password);
        return invalid;
    }
    if (!hasher_.Verify(password, user->password_hash)) return invalid;
    return IssuePair(Principal{user->id, user->nickname}, RandomToken(16));
}

Result<TokenPair> AuthService::Refresh(std::string_view refresh_token) {
    const auto invalid = Unauthenticated("invalid refresh token");
    if (refresh_token.empty() || refresh_token.size() > 256) return invalid;
    const ConsumedToken consumed = tokens_.Consume(Sha256(refresh_token), time_.Now());
    switch (consumed.status) {
        case ConsumeStatus::kOk:
            break;
        case ConsumeStatus::kAlreadyUsed:
            spdlog::warn("auth: refresh token reused; revoking its session (user {})", consumed.user_id);
            tokens_.RevokeFamily(consumed.family);
            return invalid;
        case ConsumeStatus::kExpired:
            return Unauthenticated("refresh token expired");
        case ConsumeStatus::kRevoked:
        case ConsumeStatus::kNotFound:
            return invalid;
    }
    auto user = users_.FindById(consumed.user_id);
    if (!user) return invalid;
    return IssuePair(Principal{user->id, user->nickname}, consumed.family);
}

void AuthService::Logout(std::string_view refresh_token) {
    if (refresh_token.empty() || refresh_token.size() > 256) return;
    if (auto family = tokens_.FamilyOf(Sha256(refresh_token))) tokens_.RevokeFamily(*family);
}

Result<Principal> AuthService::Authenticate(std::string_view access_token) const {
    return jwt_.Verify(access_token, time_.Now());
}

TokenPair AuthService::IssuePair(const Principal& who, std::string_view family) {
    TokenPair pair;
    pair.user_id = who.user_id;
    pair.nickname = who.nickname;
    pair.access_token = jwt_.Issue(who, time_.Now(), access_ttl_);
    pair.refresh_token = RandomToken(kRefreshTokenBytes);
    tokens_.Insert(Sha256(pair.refresh_token), who.user_id, family, time_.Now() + refresh_ttl_);
    return pair;
}

}  // namespace rooms
