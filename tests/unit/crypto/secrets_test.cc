#include "crypto/secrets.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "crypto/jwt.h"
#include "metrics/metrics.h"

namespace rooms {
namespace {

std::string Hex(const TokenHash& h) {
    std::string out;
    char buf[3];
    for (unsigned char c : h) {
        std::snprintf(buf, sizeof buf, "%02x", c);
        out += buf;
    }
    return out;
}

class PasswordHasherTest : public ::testing::Test {
  protected:
    void SetUp() override { InitCrypto(); }  // idempotent; the global environment does it too
};

TEST_F(PasswordHasherTest, HashIsArgon2idWithOwaspParameters) {
    const PasswordHasher hasher;
    const std::string hash = hasher.Hash("correct horse battery staple");
    EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
    EXPECT_EQ(hash.find("correct horse"), std::string::npos);
    EXPECT_TRUE(hasher.Verify("correct horse battery staple", hash));
    EXPECT_FALSE(hasher.Verify("correct horse battery stapl", hash));
    EXPECT_FALSE(hasher.Verify("Correct horse battery staple", hash));
    EXPECT_FALSE(hasher.Verify("", hash));
}

TEST_F(PasswordHasherTest, EveryHashAndVerificationIsTimedButNotTheDummysSetUp) {
    Metrics metrics;
    const PasswordHasher hasher(metrics.AddHistogram("rooms_test_hash_seconds", "test", LatencyBuckets()));
    EXPECT_NE(metrics.Scrape().find("rooms_test_hash_seconds_count 0\n"), std::string::npos) << metrics.Scrape();
    const std::string hash = hasher.Hash("correct horse battery staple");
    EXPECT_TRUE(hasher.Verify("correct horse battery staple", hash));
    EXPECT_FALSE(hasher.Verify("wrong", hash));
    hasher.VerifyDummy("unknown user's password");
    const std::string text = metrics.Scrape();
    EXPECT_NE(text.find("rooms_test_hash_seconds_count 4\n"), std::string::npos) << text;
    // Argon2id with 19 MiB takes milliseconds, never nothing: the sum is above 4 x 1 ms.
    const auto sum_at = text.find("rooms_test_hash_seconds_sum ");
    ASSERT_NE(sum_at, std::string::npos) << text;
    EXPECT_GT(std::stod(text.substr(sum_at + std::string("rooms_test_hash_seconds_sum ").size())), 0.004) << text;
}

TEST_F(PasswordHasherTest, SaltMakesEveryHashDifferent) {
    const PasswordHasher hasher;
    const std::string a = hasher.Hash("p4ssw0rd-äöü");
    const std::string b = hasher.Hash("p4ssw0rd-äöü");
    EXPECT_NE(a, b);
    EXPECT_TRUE(hasher.Verify("p4ssw0rd-äöü", a));
    EXPECT_TRUE(hasher.Verify("p4ssw0rd-äöü", b));
}

TEST_F(PasswordHasherTest, VerifyRefusesGarbageHashes) {
    const PasswordHasher hasher;
    EXPECT_FALSE(hasher.Verify("password", ""));
    EXPECT_FALSE(hasher.Verify("password", "password"));
    EXPECT_FALSE(hasher.Verify("password", "$argon2id$v=19$m=19456,t=2,p=1$garbage"));
    hasher.VerifyDummy("whatever");  // must not throw
}

TEST(RandomTokenTest, Has256BitsBase64Url) {
    InitCrypto();
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string t = RandomToken(32);
        EXPECT_EQ(t.size(), 43u);
        EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        std::string raw;
        ASSERT_TRUE(Base64UrlDecode(t, raw));
        EXPECT_EQ(raw.size(), 32u);
        seen.insert(t);
    }
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_EQ(RandomToken(16).size(), 22u);
}

TEST(Sha256Test, KnownVectors) {
    EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace rooms
