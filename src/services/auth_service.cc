#include "services/auth_service.h"

#include <spdlog/spdlog.h>

#include "services/validation.h"

namespace rooms {

AuthService::AuthService(UserStore& users, RefreshTokenStore& tokens, const PasswordHasher& hasher, const JwtCodec& jwt,
                         const AuthSettings& settings, const TimeSource& time, SessionRegistry& sessions,
                         RevocationBus* revocations)
    : users_(users),
      tokens_(tokens),
      hasher_(hasher),
      jwt_(jwt),
      access_ttl_(settings.access_token_ttl_s),
      refresh_ttl_(settings.refresh_token_ttl_s),
      reuse_grace_(settings.refresh_reuse_grace_s),
      time_(time),
      sessions_(sessions),
      revocations_(revocations) {}

Result<User> AuthService::Register(std::string_view nickname, std::string_view password) {
    auto name = NormalizeNickname(nickname);
    if (!name.ok()) return name.error();
    if (auto err = ValidatePassword(password)) return *err;
    if (users_.FindByNickname(name->text)) return Conflict("nickname is already taken");
    if (users_.FindByKey(name->key))
        return Conflict(
            "nickname is already taken: it looks like the nickname of an existing user (letters that "
            "only differ in case, width or script do not make a new name)");
    return users_.Create(name->text, name->key, hasher_.Hash(password), time_.Now());
}

Result<TokenPair> AuthService::Login(std::string_view nickname, std::string_view password) {
    const auto invalid = Unauthenticated("invalid credentials");
    // Shape errors are the client's bug and safe to name; they reveal nothing about which users exist.
    if (nickname.empty()) return InvalidArgument("nickname is required");
    if (password.empty()) return InvalidArgument("password is required");
    auto user = users_.FindByNickname(nickname);
    // No registered nickname is longer than kNicknameMax code points (4 bytes each at most): skip the key's work.
    if (!user && nickname.size() <= 4 * kNicknameMax) user = users_.FindByKey(NicknameKey(nickname));
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
            if (consumed.used_at && time_.Now() - *consumed.used_at <= reuse_grace_) {
                // The client sent it twice (the seed's web UI does after every expiry): answer again, revoke nothing.
                spdlog::info("auth: refresh token presented again within the reuse grace (user {})", consumed.user_id);
                break;
            }
            spdlog::warn("auth: refresh token reused; revoking its session (user {})", consumed.user_id);
            RevokeSession(consumed.family);
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
    if (auto family = tokens_.FamilyOf(Sha256(refresh_token))) RevokeSession(*family);
}

Result<Principal> AuthService::Authenticate(std::string_view access_token) const {
    auto who = jwt_.Verify(access_token, time_.Now());
    if (who.ok() && sessions_.IsRevoked(who->session)) return Unauthenticated("session revoked");
    return who;
}

std::size_t AuthService::BackfillNicknameKeys() {
    constexpr int kBatch = 500;
    std::size_t keyed = 0;
    UserId after = 0;
    for (;;) {
        const std::vector<User> batch = users_.WithoutKey(after, kBatch);
        for (const User& user : batch) {
            if (users_.SetKey(user.id, NicknameKey(user.nickname))) {
                ++keyed;
            } else {
                spdlog::warn(
                    "auth: user {} keeps a nickname that looks like an earlier user's; it logs in by its exact "
                    "nickname only (see docs/RELIABILITY.md, look-alike nicknames)",
                    user.id);
            }
            after = user.id;
        }
        if (batch.size() < static_cast<std::size_t>(kBatch)) return keyed;
    }
}

void AuthService::RevokeSession(const std::string& family) {
    tokens_.RevokeFamily(family);
    sessions_.Revoke(family);
    if (!revocations_) return;
    try {
        revocations_->Publish(family);
    } catch (const std::exception& e) {
        // The session's refresh tokens are revoked for good; other gateways close its sockets when its access
        // tokens expire instead.
        spdlog::warn("auth: could not tell the other gateways of a revoked session: {}", e.what());
    }
}

TokenPair AuthService::IssuePair(const Principal& who, std::string_view family) {
    TokenPair pair;
    pair.user_id = who.user_id;
    pair.nickname = who.nickname;
    Principal session_of = who;
    session_of.session = std::string(family);
    pair.access_token = jwt_.Issue(session_of, time_.Now(), access_ttl_);
    pair.refresh_token = RandomToken(kRefreshTokenBytes);
    tokens_.Insert(Sha256(pair.refresh_token), who.user_id, family, time_.Now() + refresh_ttl_);
    return pair;
}

}  // namespace rooms
