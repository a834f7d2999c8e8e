#include "services/auth_service.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "adapters/sqlite/sqlite_store.h"
#include "crypto/jwt.h"
#include "crypto/secrets.h"
#include "support/simulated_time.h"
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
        return std::make_unique<AuthService>(users_, tokens_, *hasher_, jwt_, settings, time_, sessions_, &bus_);
    }

    /// Registers and logs in `nickname`; returns the pair.
    TokenPair RegisterAndLogin(AuthService& auth, const std::string& nickname) {
        auto user = auth.Register(nickname, kPassword);
        EXPECT_TRUE(user.ok()) << user.error().message;
        auto pair = auth.Login(nickname, kPassword);
        EXPECT_TRUE(pair.ok()) << pair.error().message;
        return pair.ok() ? pair.value() : TokenPair{};
    }

    /// Records what is published (the other gateways' view).
    struct RecordingBus : RevocationBus {
        void Publish(std::string_view session) override { published.emplace_back(session); }
        std::vector<std::string> published;
    };
    /// A room socket, as far as its session is concerned.
    struct Watcher : SessionWatcher {
        void OnSessionRevoked() override { ++revoked; }
        int revoked = 0;
    };

    std::string SessionOf(const TokenPair& pair) {
        auto who = auth_->Authenticate(pair.access_token);
        EXPECT_TRUE(who.ok()) << who.error().message;
        return who.ok() ? who->session : std::string();
    }

    test_support::SimulatedTime time_;
    SessionRegistry sessions_{seconds(900), time_};
    RecordingBus bus_;
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
    auto direct = users_.Create("alice", "alice", "hash", test_support::Now());
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
    time_.Advance(seconds(6));  // past auth.refresh_reuse_grace_s (5 s)

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
    time_.Advance(seconds(6));
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

// ---- Item 11: the reuse grace (the seed's web UI spends each refresh token twice in a row) ----

TEST_F(AuthServiceTest, RefreshTokenSpentTwiceWithinTheGraceKeepsTheSession) {
    const TokenPair login = RegisterAndLogin(*auth_, "alice");
    const std::string session = SessionOf(login);
    auto first = auth_->Refresh(login.refresh_token);
    ASSERT_TRUE(first.ok()) << first.error().message;
    time_.Advance(seconds(5));  // the grace's last instant

    auto again = auth_->Refresh(login.refresh_token);
    ASSERT_TRUE(again.ok()) << "the second use within the grace is answered: " << again.error().message;
    EXPECT_EQ(again->user_id, login.user_id);
    EXPECT_NE(again->refresh_token, first->refresh_token);
    EXPECT_EQ(SessionOf(again.value()), session) << "the same session, not a new login";
    EXPECT_TRUE(bus_.published.empty()) << "nothing revoked";
    // Both answers hold a live pair, whichever the client kept.
    EXPECT_TRUE(auth_->Authenticate(first->access_token).ok());
    EXPECT_TRUE(auth_->Refresh(first->refresh_token).ok());
    EXPECT_TRUE(auth_->Refresh(again->refresh_token).ok());
}

TEST_F(AuthServiceTest, RefreshTokenSpentAgainAfterTheGraceRevokesTheSession) {
    const TokenPair login = RegisterAndLogin(*auth_, "alice");
    const std::string session = SessionOf(login);
    auto first = auth_->Refresh(login.refresh_token);
    ASSERT_TRUE(first.ok());
    time_.Advance(std::chrono::milliseconds(5001));

    auto late = auth_->Refresh(login.refresh_token);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, ErrorCode::kUnauthenticated);
    EXPECT_FALSE(auth_->Refresh(first->refresh_token).ok()) << "the whole session is revoked";
    EXPECT_FALSE(auth_->Authenticate(first->access_token).ok()) << "and its access tokens with it";
    EXPECT_EQ(bus_.published, std::vector<std::string>{session});
}

TEST_F(AuthServiceTest, ZeroGraceRevokesOnTheFirstReuse) {
    AuthSettings settings;
    settings.refresh_reuse_grace_s = 0;
    auto auth = MakeService(settings);
    const TokenPair login = RegisterAndLogin(*auth, "alice");
    auto first = auth->Refresh(login.refresh_token);
    ASSERT_TRUE(first.ok());
    time_.Advance(std::chrono::microseconds(1));
    EXPECT_FALSE(auth->Refresh(login.refresh_token).ok());
    EXPECT_FALSE(auth->Refresh(first->refresh_token).ok());
}

// ---- Item 10: a revoked session's access tokens and sockets ----

TEST_F(AuthServiceTest, AccessTokensCarryTheirSessionAndExpiry) {
    const TokenPair login = RegisterAndLogin(*auth_, "alice");
    auto who = auth_->Authenticate(login.access_token);
    ASSERT_TRUE(who.ok());
    EXPECT_FALSE(who->session.empty());
    EXPECT_EQ(std::chrono::floor<seconds>(who->expires_at), std::chrono::floor<seconds>(time_.Now() + seconds(900)));
    auto rotated = auth_->Refresh(login.refresh_token);
    ASSERT_TRUE(rotated.ok());
    EXPECT_EQ(SessionOf(rotated.value()), who->session) << "a refresh stays in the session";
    auto other = auth_->Login("alice", kPassword);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(SessionOf(other.value()), who->session) << "a login starts another";
}

TEST_F(AuthServiceTest, LogoutRefusesTheSessionsAccessTokensAndClosesItsSockets) {
    const TokenPair laptop = RegisterAndLogin(*auth_, "alice");
    auto phone = auth_->Login("alice", kPassword);
    ASSERT_TRUE(phone.ok());
    const std::string session = SessionOf(laptop);
    auto socket = std::make_shared<Watcher>();
    auto phone_socket = std::make_shared<Watcher>();
    ASSERT_TRUE(sessions_.Watch(session, socket));
    ASSERT_TRUE(sessions_.Watch(SessionOf(phone.value()), phone_socket));

    auth_->Logout(laptop.refresh_token);

    EXPECT_EQ(socket->revoked, 1) << "the open socket of the session is told";
    EXPECT_EQ(phone_socket->revoked, 0);
    auto who = auth_->Authenticate(laptop.access_token);
    ASSERT_FALSE(who.ok()) << "the access token dies with its session";
    EXPECT_EQ(who.error().message, "session revoked");
    EXPECT_TRUE(auth_->Authenticate(phone->access_token).ok()) << "another session is untouched";
    EXPECT_EQ(bus_.published, std::vector<std::string>{session}) << "the other gateways are told";
    EXPECT_FALSE(sessions_.Watch(session, std::make_shared<Watcher>())) << "a new socket of it ends at once";
}

TEST_F(AuthServiceTest, TokensWithoutASessionStayValidUntilTheirExpiry) {
    // Issued before `sid` existed: nothing to revoke them by, but they expire as before.
    ASSERT_TRUE(auth_->Register("alice", kPassword).ok());
    const auto token = jwt_.Issue(Principal{1, "alice"}, time_.Now(), seconds(60));
    auto who = auth_->Authenticate(token);
    ASSERT_TRUE(who.ok()) << who.error().message;
    EXPECT_TRUE(who->session.empty());
    time_.Advance(seconds(60));
    EXPECT_FALSE(auth_->Authenticate(token).ok());
}

// ---- Item 9: look-alike nicknames ----

TEST_F(AuthServiceTest, LookAlikeNicknamesAreRefusedWithTheReason) {
    ASSERT_TRUE(auth_->Register("Alice", kPassword).ok());
    struct Case {
        std::string nickname, why;
        ErrorCode code;
    };
    const Case cases[] = {
        {"Alice", "already taken", ErrorCode::kConflict},
        {"alice", "looks like", ErrorCode::kConflict},
        {"ALICE", "looks like", ErrorCode::kConflict},
        {"\xD0\x90lice", "looks like", ErrorCode::kConflict},             // Cyrillic capital A
        {"\xEF\xBC\xA1lice", "looks like", ErrorCode::kConflict},         // fullwidth A
        {"Alice\xE2\x80\x8B", "invisible", ErrorCode::kInvalidArgument},  // + zero-width space
        {"\xE2\x80\xAE"
         "Alice",
         "bidirectional", ErrorCode::kInvalidArgument},  // right-to-left override first
        {" Alice", "start or end with a space", ErrorCode::kInvalidArgument},
        {"Alice ", "start or end with a space", ErrorCode::kInvalidArgument},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.nickname);
        auto r = auth_->Register(c.nickname, kPassword);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, c.code);
        EXPECT_NE(r.error().message.find("nickname"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
    }
    EXPECT_TRUE(auth_->Register("Alicia", kPassword).ok()) << "a different name is still free";
}

TEST_F(AuthServiceTest, NicknamesAreStoredInNfcAndNfdIsTheSameName) {
    const std::string nfd = "Zoe\xCC\x88y";  // e + combining diaeresis
    const std::string nfc = "Zo\xC3\xABy";   // e with diaeresis, composed
    auto user = auth_->Register(nfd, kPassword);
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_EQ(user->nickname, nfc);
    EXPECT_EQ(users_.FindById(user->id)->nickname, nfc);
    auto twin = auth_->Register(nfc, kPassword);
    ASSERT_FALSE(twin.ok());
    EXPECT_EQ(twin.error().code, ErrorCode::kConflict);
    EXPECT_TRUE(auth_->Login(nfc, kPassword).ok());
    EXPECT_TRUE(auth_->Login(nfd, kPassword).ok());
}

TEST_F(AuthServiceTest, LoginFindsTheUserByAnySpellingOfItsNickname) {
    ASSERT_TRUE(auth_->Register("Alice", kPassword).ok());
    for (const std::string spelling : {"Alice", "alice", "ALICE", "\xEF\xBC\xA1lice"}) {
        SCOPED_TRACE(spelling);
        auto pair = auth_->Login(spelling, kPassword);
        ASSERT_TRUE(pair.ok()) << pair.error().message;
        EXPECT_EQ(pair->nickname, "Alice") << "the registered spelling, whatever was typed";
    }
    EXPECT_FALSE(auth_->Login("alice", "wrong-password").ok());
}

TEST_F(AuthServiceTest, UsersOfBeforeTheRuleKeepTheirNames) {
    // Two users registered before look-alike checks, whose names now share a key, and one more.
    const auto insert = [this](const std::string& nickname) {
        const std::string hash = hasher_->Hash(kPassword);
        db_.With([&](sqlite3* db) {
            sqlite3_stmt* s = nullptr;
            sqlite3_prepare_v2(db, "INSERT INTO users(nickname, password_hash, time_created) VALUES(?, ?, 0)", -1, &s,
                               nullptr);
            sqlite3_bind_text(s, 1, nickname.data(), static_cast<int>(nickname.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 2, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
            EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
            sqlite3_finalize(s);
        });
    };
    insert("Bob");
    insert("bob");
    insert("carol");
    EXPECT_EQ(auth_->BackfillNicknameKeys(), 2u) << "Bob and carol keyed; bob keeps none";
    EXPECT_EQ(auth_->BackfillNicknameKeys(), 0u) << "idempotent";

    EXPECT_EQ(auth_->Login("Bob", kPassword)->nickname, "Bob");
    EXPECT_EQ(auth_->Login("bob", kPassword)->nickname, "bob") << "the exact name first";
    EXPECT_EQ(auth_->Login("BOB", kPassword)->nickname, "Bob") << "a variant finds the keyed one";
    EXPECT_EQ(auth_
                  ->Register("B\xD0\xBE"
                             "b",
                             kPassword)
                  .error()
                  .code,
              ErrorCode::kConflict);  // Cyrillic o
    EXPECT_EQ(auth_->Register("CAROL", kPassword).error().code, ErrorCode::kConflict);
}

}  // namespace
}  // namespace rooms
