#include "services/auth_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "adapters/sqlite/sqlite_store.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "support/test_messages.h"

namespace rooms {
namespace {

using std::chrono::seconds;

const std::string kJwtKey = "unit-test-jwt-key-of-32-bytes!!!";
const std::string kPassword = "s3cret-passw0rd";

bool IsBase64Url(const std::string& s) {
    return s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

/// AuthService over the real SQLite stores on an in-memory database.
class AuthServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        InitCrypto();
        hasher_ = std::make_unique<PasswordHasher>();
        auth_ = MakeService(AuthSettings{});
    }

    std::unique_ptr<AuthService> MakeService(AuthSettings settings) {
        return std::make_unique<AuthService>(users_, tokens_, *hasher_, jwt_, settings, RealTimeSource::Instance());
    }

    /// Registers and logs in `nickname`; returns the pair.
    TokenPair RegisterAndLogin(AuthService& auth, const std::string& nickname) {
        auto user = auth.Register(nickname, kPassword);
        EXPECT_TRUE(user.ok()) << user.error().message;
        auto pair = auth.Login(nickname, kPassword);
        EXPECT_TRUE(pair.ok()) << pair.error().message;
        return pair.ok() ? pair.value() : TokenPair{};
    }

    SqliteDatabase db_{":memory:"};
    SqliteUserStore users_{db_};
    SqliteRefreshTokenStore tokens_{db_};
    JwtCodec jwt_{kJwtKey};
    std::unique_ptr<PasswordHasher> hasher_;
    std::unique_ptr<AuthService> auth_;
};

TEST_F(AuthServiceTest, RegisterStoresAnArgon2Hash) {
    auto user = auth_->Register("alice", kPassword);
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_GT(user->id, 0);
    EXPECT_EQ(user->nickname, "alice");
    const auto stored = users_.FindByNickname("alice");
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->id, user->id);
    EXPECT_TRUE(stored->password_hash.starts_with("$argon2id$")) << stored->password_hash;
    EXPECT_EQ(stored->password_hash.find(kPassword), std::string::npos);
}

TEST_F(AuthServiceTest, RegisterValidationErrorsNameTheField) {
    struct Case {
        std::string nickname, password, field;
    };
    const Case cases[] = {
        {"ab", kPassword, "nickname"},
        {"", kPassword, "nickname"},
        {"   ", kPassword, "nickname"},
        {"bad\nname", kPassword, "nickname"},
        {std::string(51, 'x'), kPassword, "nickname"},
        {"\xc0\xafxyz", kPassword, "nickname"},
        {"alice", "short", "password"},
        {"alice", "", "password"},
        {"alice", std::string(129, 'p'), "password"},
        {"alice", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "password"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("nickname='" + c.nickname + "' password='" + c.password + "'");
        auto r = auth_->Register(c.nickname, c.password);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        EXPECT_NE(r.error().message.find(c.field), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(users_.FindByNickname("alice").has_value());
}

TEST_F(AuthServiceTest, DuplicateNicknameIsAConflict) {
    ASSERT_TRUE(auth_->Register("alice", kPassword).ok());
    auto again = auth_->Register("alice", "another-password");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kConflict);
    // The store itself refuses too (the race between two registrations).
    auto direct = users_.Create("alice", "hash", test_support::Now());
    ASSERT_FALSE(direct.ok());
    EXPECT_EQ(direct.error().code, ErrorCode::kConflict);
}

TEST_F(AuthServiceTest, LoginIssuesAVerifiableAccessTokenAndA256BitRefreshToken) {
    ASSERT_TRUE(auth_->Register("alice", kPassword).ok());
    auto pair = auth_->Login("alice", kPassword);
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    EXPECT_GT(pair->user_id, 0);
    EXPECT_EQ(pair->nickname, "alice");
    EXPECT_GE(pair->refresh_token.size(), 43u);
    EXPECT_TRUE(IsBase64Url(pair->refresh_token)) << pair->refresh_token;

    auto who = auth_->Authenticate(pair->access_token);
    ASSERT_TRUE(who.ok()) << who.error().message;
    EXPECT_EQ(who->user_id, pair->user_id);
    EXPECT_EQ(who->nickname, "alice");

    // Access token lifetime: exp - iat = access_ttl (default 900 s).
    const auto dot1 = pair->access_token.find('.');
    const auto dot2 = pair->access_token.find('.', dot1 + 1);
    std::string payload;
    ASSERT_TRUE(Base64UrlDecode(pair->access_token.substr(dot1 + 1, dot2 - dot1 - 1), payload));
    const auto claims = boost::json::parse(payload).as_object();
    EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 900);
    EXPECT_EQ(claims.at("id").as_string(), std::to_string(pair->user_id));
}

TEST_F(AuthServiceTest, AuthenticateRefusesGarbageAndForeignTokens) {
    EXPECT_EQ(auth_->Authenticate("").error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(auth_->Authenticate("not.a.token").error().code, ErrorCode::kUnauthenticated);
    const JwtCodec foreign("some-other-key-also-32-bytes-long");
    const auto token = foreign.Issue(Principal{1, "alice"}, test_support::Now(), seconds(900));
    EXPECT_EQ(auth_->Authenticate(token).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownUserGiveTheSameError) {
    ASSERT_TRUE(auth_->Register("alice", kPassword).ok());
    auto wrong = auth_->Login("alice", "not-the-password");
    auto unknown = auth_->Login("bob", kPassword);
    ASSERT_FALSE(wrong.ok());
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(unknown.error().code, wrong.error().code);
    EXPECT_EQ(unknown.error().message, wrong.error().message);
    EXPECT_EQ(wrong.error().message, "invalid credentials");
}

TEST_F(AuthServiceTest, LoginWithEmptyFieldsIsInvalid) {
    auto r = auth_->Login("", kPassword);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("nickname"), std::string::npos);
    r = auth_->Login("alice", "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("password"), std::string::npos);
}

TEST_F(AuthServiceTest, RefreshRotatesAndSpendsTheOldToken) {
    const TokenPair first = RegisterAndLogin(*auth_, "alice");

    auto second = auth_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_NE(second->refresh_token, first.refresh_token);
    EXPECT_GE(second->refresh_token.size(), 43u);
    EXPECT_EQ(second->user_id, first.user_id);
    EXPECT_EQ(second->nickname, "alice");
    auto who = auth_->Authenticate(second->access_token);
    ASSERT_TRUE(who.ok());
    EXPECT_EQ(who->user_id, first.user_id);

    // The rotated token works once more down the chain.
    auto third = auth_->Refresh(second->refresh_token);
    ASSERT_TRUE(third.ok()) << third.error().message;
    EXPECT_NE(third->refresh_token, second->refresh_token);
}

TEST_F(AuthServiceTest, ReusingASpentTokenRevokesTheWholeFamily) {
    const TokenPair first = RegisterAndLogin(*auth_, "alice");
    auto second = auth_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok());

    // Replay of the spent token: refused...
    auto replay = auth_->Refresh(first.refresh_token);
    ASSERT_FALSE(replay.ok());
    EXPECT_EQ(replay.error().code, ErrorCode::kUnauthenticated);
    // ...and the newer token of the same session stops working too.
    auto newer = auth_->Refresh(second->refresh_token);
    ASSERT_FALSE(newer.ok());
    EXPECT_EQ(newer.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, ReuseRevokesOnlyTheAffectedSession) {
    const TokenPair laptop = RegisterAndLogin(*auth_, "alice");
    auto phone = auth_->Login("alice", kPassword);
    ASSERT_TRUE(phone.ok());

    ASSERT_TRUE(auth_->Refresh(laptop.refresh_token).ok());
    ASSERT_FALSE(auth_->Refresh(laptop.refresh_token).ok());  // reuse: laptop session revoked

    auto phone_next = auth_->Refresh(phone->refresh_token);
    EXPECT_TRUE(phone_next.ok()) << "another login session must survive";
}

TEST_F(AuthServiceTest, ExpiredRefreshTokenIsRefused) {
    for (const auto ttl : {seconds(0), seconds(-1), seconds(-3600)}) {
        SCOPED_TRACE(ttl.count());
        AuthSettings settings;
        settings.refresh_token_ttl_s = static_cast<int>(ttl.count());
        auto auth = MakeService(settings);
        const std::string nickname = "user" + std::to_string(-ttl.count());
        const TokenPair pair = RegisterAndLogin(*auth, nickname);
        ASSERT_FALSE(pair.refresh_token.empty());
        auto r = auth->Refresh(pair.refresh_token);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
        // The access token is still fine: only the refresh token expired.
        EXPECT_TRUE(auth->Authenticate(pair.access_token).ok());
    }
}

TEST_F(AuthServiceTest, ExpiredAccessTokenIsRefused) {
    AuthSettings settings;
    settings.access_token_ttl_s = -1;
    auto auth = MakeService(settings);
    const TokenPair pair = RegisterAndLogin(*auth, "alice");
    auto who = auth->Authenticate(pair.access_token);
    ASSERT_FALSE(who.ok());
    EXPECT_EQ(who.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, LogoutRevokesTheSession) {
    const TokenPair pair = RegisterAndLogin(*auth_, "alice");
    auto rotated = auth_->Refresh(pair.refresh_token);
    ASSERT_TRUE(rotated.ok());
    auto other_session = auth_->Login("alice", kPassword);
    ASSERT_TRUE(other_session.ok());

    auth_->Logout(rotated->refresh_token);
    auto r = auth_->Refresh(rotated->refresh_token);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);

    EXPECT_TRUE(auth_->Refresh(other_session->refresh_token).ok());

    // Unknown, empty and absurd tokens are ignored.
    EXPECT_NO_THROW(auth_->Logout("no-such-token"));
    EXPECT_NO_THROW(auth_->Logout(""));
    EXPECT_NO_THROW(auth_->Logout(std::string(10000, 'x')));
}

TEST_F(AuthServiceTest, RefreshRefusesUnknownAndMalformedTokens) {
    for (const std::string& token : {std::string(), std::string("nope"), std::string(43, 'A'), std::string(300, 'x')}) {
        auto r = auth_->Refresh(token);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    }
    // An access token is not a refresh token.
    const TokenPair pair = RegisterAndLogin(*auth_, "alice");
    EXPECT_FALSE(auth_->Refresh(pair.access_token).ok());
}

}  // namespace
}  // namespace rooms
