#pragma once

#include <string>
#include <string_view>

#include "domain/error.h"
#include "domain/types.h"

namespace rooms {

/// HS256 JSON Web Tokens carrying the seed's claims: id (user id as a string), nickname, iat, exp; and `sid`, the
/// login session (refresh-token family) the token belongs to, so a revoked session's tokens can be refused and its
/// sockets closed. Tokens without `sid` (issued before it existed) stay valid until their `exp`.
/// Thread-safe (immutable after construction); HMAC only, never blocks.
class JwtCodec {
  public:
    explicit JwtCodec(std::string key);

    std::string Issue(const Principal& who, TimePoint now, std::chrono::seconds ttl) const;

    /// Unauthenticated for a malformed token, an `alg` other than HS256, a bad signature, missing claims
    /// or a token past its `exp`. The Principal carries `sid` and `exp`.
    Result<Principal> Verify(std::string_view token, TimePoint now) const;

  private:
    std::string key_;
};

std::string Base64UrlEncode(std::string_view data);
/// Decodes unpadded base64url into `out`; false (and `out` unspecified) when `in` is not base64url.
bool Base64UrlDecode(std::string_view in, std::string& out);

}  // namespace rooms
