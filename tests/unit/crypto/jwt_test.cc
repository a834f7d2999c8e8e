#include "crypto/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace rooms {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

const std::string kKey = "0123456789abcdef0123456789abcdef";  // 32 bytes
const std::string kStandardHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         mac, &len);
    return std::string(reinterpret_cast<const char*>(mac), len);
}

/// A token built by hand: header and payload JSON as given, signed with `md` (HMAC) under `key`.
std::string MakeToken(const std::string& header_json, const std::string& payload_json, std::string_view key = kKey,
                      const EVP_MD* md = EVP_sha256()) {
    std::string token = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
    return token + "." + Base64UrlEncode(Hmac(md, key, token));
}

std::int64_t EpochSeconds(TimePoint t) { return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count(); }

std::string ClaimsJson(std::int64_t iat, std::int64_t exp, const std::string& id = "42",
                       const std::string& nickname = "alice") {
    return json::serialize(json::object{{"id", id}, {"nickname", nickname}, {"iat", iat}, {"exp", exp}});
}

std::vector<std::string> SplitToken(const std::string& token) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = token.find('.', start);
        parts.push_back(token.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return parts;
}

json::object DecodeJsonPart(const std::string& part) {
    std::string raw;
    EXPECT_TRUE(Base64UrlDecode(part, raw)) << part;
    return json::parse(raw).as_object();
}

class JwtTest : public ::testing::Test {
  protected:
    const JwtCodec codec_{kKey};
    const TimePoint now_ = unit::FixedTime();
    const Principal alice_{42, "alice"};

    void ExpectRefused(const std::string& token, TimePoint at) const {
        const auto r = codec_.Verify(token, at);
        ASSERT_FALSE(r.ok()) << "accepted: " << token;
        EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << token;
    }
    void ExpectRefused(const std::string& token) const { ExpectRefused(token, now_); }
};

TEST_F(JwtTest, IssueVerifyRoundTrip) {
    const std::string token = codec_.Issue(alice_, now_, seconds(900));
    const auto r = codec_.Verify(token, now_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->user_id, 42);
    EXPECT_EQ(r->nickname, "alice");
}

TEST_F(JwtTest, IssuedTokenCarriesTheSeedClaims) {
    const std::string token = codec_.Issue(Principal{7, "Zoë 日本"}, now_, seconds(900));
    const auto parts = SplitToken(token);
    ASSERT_EQ(parts.size(), 3u);

    const json::object header = DecodeJsonPart(parts[0]);
    EXPECT_EQ(header.at("alg").as_string(), "HS256");
    EXPECT_EQ(header.at("typ").as_string(), "JWT");

    const json::object claims = DecodeJsonPart(parts[1]);
    ASSERT_TRUE(claims.at("id").is_string()) << "the seed's clients expect the id claim as a string";
    EXPECT_EQ(claims.at("id").as_string(), "7");
    EXPECT_EQ(claims.at("nickname").as_string(), "Zoë 日本");
    ASSERT_TRUE(claims.at("iat").is_int64());
    ASSERT_TRUE(claims.at("exp").is_int64());
    EXPECT_EQ(claims.at("iat").as_int64(), EpochSeconds(now_));
    EXPECT_EQ(claims.at("exp").as_int64(), EpochSeconds(now_) + 900);

    // The signature is HMAC-SHA256 over "header.payload" (32 bytes, 43 base64url characters).
    EXPECT_EQ(parts[2].size(), 43u);
    std::string signature;
    ASSERT_TRUE(Base64UrlDecode(parts[2], signature));
    EXPECT_EQ(signature, Hmac(EVP_sha256(), kKey, parts[0] + "." + parts[1]));

    const auto r = codec_.Verify(token, now_);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->nickname, "Zoë 日本");
}

TEST_F(JwtTest, AcceptsAHandMadeHs256Token) {
    // Proves the helpers below build tokens correctly, so the refusals that follow are meaningful.
    const auto iat = EpochSeconds(now_);
    const auto r = codec_.Verify(MakeToken(kStandardHeader, ClaimsJson(iat, iat + 60)), now_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->user_id, 42);
    // typ is optional.
    EXPECT_TRUE(codec_.Verify(MakeToken(R"({"alg":"HS256"})", ClaimsJson(iat, iat + 60)), now_).ok());
}

TEST_F(JwtTest, RefusesAlgNone) {
    const auto iat = EpochSeconds(now_);
    const std::string unsigned_token =
        Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(ClaimsJson(iat, iat + 60)) + ".";
    ExpectRefused(unsigned_token);
    // alg none even with a signature that is valid for the bytes.
    ExpectRefused(MakeToken(R"({"alg":"none","typ":"JWT"})", ClaimsJson(iat, iat + 60)));
    ExpectRefused(MakeToken(R"({"alg":"None","typ":"JWT"})", ClaimsJson(iat, iat + 60)));
}

TEST_F(JwtTest, RefusesOtherAlgorithms) {
    const auto iat = EpochSeconds(now_);
    const std::string claims = ClaimsJson(iat, iat + 60);
    // Re-signed correctly with HMAC-SHA512 under the right key: still not HS256.
    ExpectRefused(MakeToken(R"({"alg":"HS512","typ":"JWT"})", claims, kKey, EVP_sha512()));
    // Header changed to HS512 but signed with SHA-256.
    ExpectRefused(MakeToken(R"({"alg":"HS512","typ":"JWT"})", claims));
    ExpectRefused(MakeToken(R"({"alg":"hs256","typ":"JWT"})", claims));
    ExpectRefused(MakeToken(R"({"alg":"RS256","typ":"JWT"})", claims));
    ExpectRefused(MakeToken(R"({"typ":"JWT"})", claims));
    ExpectRefused(MakeToken(R"({"alg":256,"typ":"JWT"})", claims));
    ExpectRefused(MakeToken(R"(["HS256"])", claims));
    ExpectRefused(MakeToken("not json", claims));
}

TEST_F(JwtTest, RefusesATamperedPayload) {
    const std::string token = codec_.Issue(alice_, now_, seconds(900));
    auto parts = SplitToken(token);
    ASSERT_EQ(parts.size(), 3u);
    const auto iat = EpochSeconds(now_);
    // Same signature, payload claiming to be another user.
    ExpectRefused(parts[0] + "." + Base64UrlEncode(ClaimsJson(iat, iat + 900, "1", "admin")) + "." + parts[2]);
    // Same signature, later expiry.
    ExpectRefused(parts[0] + "." + Base64UrlEncode(ClaimsJson(iat, iat + 999999, "42", "alice")) + "." + parts[2]);
}

TEST_F(JwtTest, RefusesABadSignature) {
    const std::string token = codec_.Issue(alice_, now_, seconds(900));
    auto parts = SplitToken(token);
    ASSERT_EQ(parts.size(), 3u);
    std::string sig = parts[2];
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    ExpectRefused(parts[0] + "." + parts[1] + "." + sig);
    // Truncated and empty signatures.
    ExpectRefused(parts[0] + "." + parts[1] + "." + parts[2].substr(0, 22));
    ExpectRefused(parts[0] + "." + parts[1] + ".");
    // A signature over other bytes.
    ExpectRefused(parts[0] + "." + parts[1] + "." + Base64UrlEncode(Hmac(EVP_sha256(), kKey, "something else")));
}

TEST_F(JwtTest, RefusesATokenSignedWithAnotherKey) {
    const JwtCodec other("another key, also 32 bytes long!");
    ExpectRefused(other.Issue(alice_, now_, seconds(900)));
    const auto iat = EpochSeconds(now_);
    ExpectRefused(MakeToken(kStandardHeader, ClaimsJson(iat, iat + 60), "another key, also 32 bytes long!"));
}

TEST_F(JwtTest, RefusesExpiredTokens) {
    const std::string token = codec_.Issue(alice_, now_, seconds(900));
    EXPECT_TRUE(codec_.Verify(token, now_ + seconds(899)).ok());
    ExpectRefused(token, now_ + seconds(900));  // exp itself is already too late (exp <= now)
    ExpectRefused(token, now_ + seconds(901));
    ExpectRefused(token, now_ + std::chrono::hours(24 * 365));
    // A token issued already expired.
    ExpectRefused(codec_.Issue(alice_, now_, seconds(0)));
    ExpectRefused(codec_.Issue(alice_, now_, seconds(-60)));
}

TEST_F(JwtTest, RefusesMalformedTokens) {
    const std::string token = codec_.Issue(alice_, now_, seconds(900));
    const auto parts = SplitToken(token);
    ASSERT_EQ(parts.size(), 3u);

    ExpectRefused("");
    ExpectRefused(".");
    ExpectRefused("..");
    ExpectRefused("...");
    ExpectRefused("garbage");
    ExpectRefused(parts[0] + "." + parts[1]);                    // 2 parts
    ExpectRefused(token + "." + parts[2]);                       // 4 parts
    ExpectRefused(token + ".");                                  // 4 parts, last empty
    ExpectRefused("." + token);                                  // 4 parts, first empty
    ExpectRefused(parts[0] + ".." + parts[1] + "." + parts[2]);  // empty part in between
    ExpectRefused(token + "=");                                  // padding is not base64url
    ExpectRefused(parts[0] + "." + parts[1] + "." + parts[2] + "==");
    ExpectRefused(" " + token);
    ExpectRefused("Bearer " + token);

    // Standard base64 alphabet instead of base64url.
    std::string std_alphabet = parts[2];
    for (char& c : std_alphabet) c = c == '-' ? '+' : c == '_' ? '/' : c;
    if (std_alphabet != parts[2]) ExpectRefused(parts[0] + "." + parts[1] + "." + std_alphabet);
    ExpectRefused(parts[0] + "." + parts[1] + "." + "+/" + parts[2].substr(2));
    ExpectRefused(parts[0] + "." + parts[1] + "." + parts[2].substr(0, 20) + "*" + parts[2].substr(21));
    // A payload whose length is impossible for base64 (4n+1 characters).
    ExpectRefused(parts[0] + "." + parts[1].substr(0, parts[1].size() / 4 * 4) + "A." + parts[2]);
    // Payload that is not JSON, or not an object, correctly signed.
    ExpectRefused(MakeToken(kStandardHeader, "not json"));
    ExpectRefused(MakeToken(kStandardHeader, "[1,2,3]"));
    ExpectRefused(MakeToken(kStandardHeader, ""));
}

TEST_F(JwtTest, RefusesNonCanonicalBase64InTheSignature) {
    const std::string token = codec_.Issue(alice_, now_, seconds(900));
    const auto parts = SplitToken(token);
    ASSERT_EQ(parts.size(), 3u);
    ASSERT_EQ(parts[2].size(), 43u);  // 256 bits in 258: the last character carries 2 unused bits, zero
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto last = alphabet.find(parts[2].back());
    ASSERT_NE(last, std::string::npos);
    ASSERT_EQ(last & 3u, 0u);
    for (std::size_t extra = 1; extra <= 3; ++extra) {
        std::string sig = parts[2];
        sig.back() = alphabet[last | extra];
        // Decodes to the same 32 bytes with a lenient decoder; must be refused.
        std::string decoded;
        EXPECT_FALSE(Base64UrlDecode(sig, decoded)) << sig;
        ExpectRefused(parts[0] + "." + parts[1] + "." + sig);
    }
}

TEST_F(JwtTest, RefusesMissingOrMistypedClaims) {
    const auto iat = EpochSeconds(now_);
    const auto exp = iat + 60;
    const std::vector<json::object> bad_claims = {
        {{"nickname", "alice"}, {"iat", iat}, {"exp", exp}},                                // no id
        {{"id", "42"}, {"iat", iat}, {"exp", exp}},                                         // no nickname
        {{"id", "42"}, {"nickname", "alice"}, {"exp", exp}},                                // no iat
        {{"id", "42"}, {"nickname", "alice"}, {"iat", iat}},                                // no exp
        {{"id", 42}, {"nickname", "alice"}, {"iat", iat}, {"exp", exp}},                    // id as a number
        {{"id", "abc"}, {"nickname", "alice"}, {"iat", iat}, {"exp", exp}},                 // id not decimal
        {{"id", "0"}, {"nickname", "alice"}, {"iat", iat}, {"exp", exp}},                   // id zero
        {{"id", "-42"}, {"nickname", "alice"}, {"iat", iat}, {"exp", exp}},                 // id negative
        {{"id", ""}, {"nickname", "alice"}, {"iat", iat}, {"exp", exp}},                    // id empty
        {{"id", "42"}, {"nickname", 5}, {"iat", iat}, {"exp", exp}},                        // nickname not a string
        {{"id", "42"}, {"nickname", nullptr}, {"iat", iat}, {"exp", exp}},                  // nickname null
        {{"id", "42"}, {"nickname", "alice"}, {"iat", iat}, {"exp", std::to_string(exp)}},  // exp as a string
        {{"id", "42"}, {"nickname", "alice"}, {"iat", iat}, {"exp", 1.5e12}},               // exp as a double
        {{"id", "42"}, {"nickname", "alice"}, {"iat", "now"}, {"exp", exp}},                // iat as a string
        {},                                                                                 // no claims at all
    };
    for (const auto& claims : bad_claims) {
        SCOPED_TRACE(json::serialize(claims));
        ExpectRefused(MakeToken(kStandardHeader, json::serialize(claims)));
    }
}

TEST(Base64UrlTest, EncodesRfc4648Vectors) {
    // RFC 4648 section 10, without padding.
    EXPECT_EQ(Base64UrlEncode(""), "");
    EXPECT_EQ(Base64UrlEncode("f"), "Zg");
    EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
    EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
    EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
    EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
    EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
    // The URL-safe alphabet: '-' and '_' where standard base64 has '+' and '/'.
    EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
    EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xef\xbe", 3)), "----");
    EXPECT_EQ(Base64UrlEncode(std::string("\xff\xff\xff", 3)), "____");
    EXPECT_EQ(Base64UrlEncode(std::string("\0\0\0", 3)), "AAAA");
    EXPECT_EQ(Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
}

TEST(Base64UrlTest, DecodesRfc4648Vectors) {
    const std::vector<std::pair<std::string, std::string>> vectors = {
        {"", ""},
        {"Zg", "f"},
        {"Zm8", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg", "foob"},
        {"Zm9vYmE", "fooba"},
        {"Zm9vYmFy", "foobar"},
        {"-_8", std::string("\xfb\xff", 2)},
        {"AAAA", std::string("\0\0\0", 3)},
    };
    for (const auto& [encoded, raw] : vectors) {
        std::string out = "junk";
        EXPECT_TRUE(Base64UrlDecode(encoded, out)) << encoded;
        EXPECT_EQ(out, raw) << encoded;
    }
}

TEST(Base64UrlTest, RefusesMalformedInput) {
    std::string out;
    EXPECT_FALSE(Base64UrlDecode("Z", out));  // 4n+1 characters cannot be base64
    EXPECT_FALSE(Base64UrlDecode("Zm9vY", out));
    EXPECT_FALSE(Base64UrlDecode("Zg==", out));  // padding is not part of base64url
    EXPECT_FALSE(Base64UrlDecode("Zm9v=", out));
    EXPECT_FALSE(Base64UrlDecode("+/8", out));  // standard alphabet
    EXPECT_FALSE(Base64UrlDecode("Zm 9v", out));
    EXPECT_FALSE(Base64UrlDecode("Zm9v\n", out));
    EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4), out));
    EXPECT_FALSE(Base64UrlDecode("Zm9v.", out));
    EXPECT_FALSE(Base64UrlDecode("\xc3\xa9", out));
}

TEST(Base64UrlTest, RefusesNonCanonicalTrailingBits) {
    std::string out;
    // "f" is Zg; Zh..Zv set unused low bits and would decode to "f" with a lenient decoder.
    EXPECT_FALSE(Base64UrlDecode("Zh", out));
    EXPECT_FALSE(Base64UrlDecode("Zv", out));
    EXPECT_FALSE(Base64UrlDecode("Z_", out));
    // "fo" is Zm8; Zm9 sets one of the two unused bits.
    EXPECT_FALSE(Base64UrlDecode("Zm9", out));
    EXPECT_FALSE(Base64UrlDecode("Zm-", out));
    EXPECT_TRUE(Base64UrlDecode("Zm8", out));
    EXPECT_EQ(out, "fo");
}

TEST(Base64UrlTest, RoundTripsEveryByteAndLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (std::size_t len = 0; len <= all.size(); ++len) {
        const std::string raw = all.substr(all.size() - len);
        const std::string encoded = Base64UrlEncode(raw);
        EXPECT_EQ(encoded.size(), (len * 4 + 2) / 3) << len;
        EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        std::string decoded;
        ASSERT_TRUE(Base64UrlDecode(encoded, decoded)) << len;
        EXPECT_EQ(decoded, raw) << len;
    }
}

}  // namespace
}  // namespace rooms
