// Access tokens: JwtCodec::Verify on arbitrary tokens and on mutations of a valid one, which must never verify
// unless identical to it; Issue/Verify and Base64url round trips.
//
// Input: the first byte picks the mode, the rest is its data.
//   0: the data is a token to verify
//   1: the data is a list of (position, xor) edits applied to a valid token
//   2: the data is a nickname and an id for an Issue/Verify round trip
//   3: the data is Base64url text (and, raw, bytes) for the codec round trips

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/text.h"
#include "crypto/jwt.h"

namespace {

using namespace std::chrono;

const std::string kKey = "fuzz-jwt-key-of-thirty-two-bytes";

rooms::TimePoint FixedNow() { return time_point_cast<microseconds>(sys_days{year{2026} / November / 29}) + hours{2}; }

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_jwt: %s: [%.*s]\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

const rooms::JwtCodec& Codec() {
    static const rooms::JwtCodec codec(kKey);
    return codec;
}

/// The one token signed with kKey that the fuzzer may present.
const std::string& ValidToken() {
    static const std::string token = Codec().Issue(rooms::Principal{42, "alice"}, FixedNow(), hours{1});
    return token;
}

void VerifyOnly(std::string_view token) {
    auto who = Codec().Verify(token, FixedNow());
    if (who && token != ValidToken()) Fail("a token not issued with the key verified", token);
    if (!who && token == ValidToken()) Fail("the valid token was refused", token);
    if (!who && who.error().message.empty()) Fail("refusal without a message", token);
}

void Mutations(std::string_view edits) {
    std::string token = ValidToken();
    for (std::size_t i = 0; i + 1 < edits.size(); i += 2) {
        const std::size_t pos = static_cast<unsigned char>(edits[i]) % (token.size() + 1);
        const auto x = static_cast<unsigned char>(edits[i + 1]);
        if (pos == token.size()) {
            token.push_back(static_cast<char>(x));  // append
        } else if (x == 0) {
            token.erase(pos, 1);  // delete
        } else {
            token[pos] = static_cast<char>(static_cast<unsigned char>(token[pos]) ^ x);  // flip bits
        }
        if (token.empty()) break;
    }
    VerifyOnly(token);
}

void RoundTrip(std::string_view data) {
    if (data.size() < 8) return;
    std::int64_t id = 0;
    for (int i = 0; i < 8; ++i) id = (id << 8) | static_cast<unsigned char>(data[static_cast<std::size_t>(i)]);
    const std::string nickname(data.substr(8));
    if (id <= 0 || !rooms::IsValidUtf8(nickname)) return;  // the service issues tokens only to such users
    const std::string token = Codec().Issue(rooms::Principal{id, nickname}, FixedNow(), seconds{60});
    auto who = Codec().Verify(token, FixedNow());
    if (!who) Fail("an issued token did not verify", token);
    if (who->user_id != id || who->nickname != nickname) Fail("the verified principal differs", token);
    if (Codec().Verify(token, FixedNow() + seconds{60})) Fail("a token verified at its exp", token);
    if (rooms::JwtCodec("another-key-of-thirty-two-bytes!").Verify(token, FixedNow()))
        Fail("a token verified with another key", token);
}

void Base64(std::string_view data) {
    std::string decoded;
    if (rooms::Base64UrlDecode(data, decoded) && rooms::Base64UrlEncode(decoded) != data)
        Fail("Base64UrlDecode accepted a non-canonical spelling", data);
    std::string back;
    const std::string encoded = rooms::Base64UrlEncode(data);
    if (!rooms::Base64UrlDecode(encoded, back) || back != data) Fail("Base64url round trip failed", encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0:
            VerifyOnly(rest);
            break;
        case 1:
            Mutations(rest);
            break;
        case 2:
            RoundTrip(rest);
            break;
        default:
            Base64(rest);
            break;
    }
    return 0;
}
