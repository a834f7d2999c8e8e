#include "client/jwt_expiry.h"

#include <gtest/gtest.h>

#include "crypto/jwt.h"

namespace rooms::client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Token(const std::string& payload) {
    return Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(payload) + ".signature";
}

TEST(JwtExpiryTest, ReadsIatAndExp) {
    auto times = ReadJwtTimes(Token(R"({"id":"1","nickname":"a","iat":1000,"exp":1900})"));
    ASSERT_TRUE(times);
    EXPECT_EQ(times->issued_at, 1000);
    EXPECT_EQ(times->expires_at, 1900);
    EXPECT_FALSE(ReadJwtTimes("opaque"));
    EXPECT_FALSE(ReadJwtTimes(Token(R"({"iat":1})")));
    EXPECT_FALSE(ReadJwtTimes("a.!!!.c"));
}

TEST(JwtExpiryTest, RefreshesAtEightyPercentOfTheLifetimeWhateverTheLocalClock) {
    const JwtTimes fifteen_minutes{1000, 1000 + 900};
    EXPECT_EQ(RefreshDelay(fifteen_minutes, 1000), seconds(720));
    EXPECT_EQ(RefreshDelay(fifteen_minutes, 99999), seconds(720));  // skewed clock: exp - iat still holds
    EXPECT_EQ(RefreshDelay(JwtTimes{std::nullopt, 2000}, 1000), seconds(800));
}

TEST(JwtExpiryTest, NeverSoonerThanTheFloorAndAFallbackForOpaqueTokens) {
    EXPECT_EQ(RefreshDelay(JwtTimes{1000, 1002}, 1000), seconds(5));
    EXPECT_EQ(RefreshDelay(std::nullopt, 1000), std::chrono::minutes(5));
}

}  // namespace
}  // namespace rooms::client
