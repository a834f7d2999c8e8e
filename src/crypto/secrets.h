#pragma once

#include <string>
#include <string_view>

#include "domain/ports.h"
#include "metrics/metrics.h"

namespace rooms {

/// Initializes libsodium; call once at start before anything below. Throws on failure.
void InitCrypto();

/// `bytes` random bytes from the CSPRNG, base64url-encoded.
std::string RandomToken(std::size_t bytes);

TokenHash Sha256(std::string_view data);

/// Argon2id with OWASP parameters (19 MiB, t=2, p=1). CPU-heavy (tens of ms): never call on an I/O thread.
/// Thread-safe.
class PasswordHasher {
  public:
    /// `hash_seconds` observes the time of every hash and verification (the dummy's too: it is the same work).
    explicit PasswordHasher(Histogram hash_seconds = {});
    /// The encoded hash ($argon2id$v=19$m=19456,t=2,p=1$...).
    std::string Hash(std::string_view password) const;
    /// Constant-time check of `password` against an encoded hash.
    bool Verify(std::string_view password, const std::string& encoded) const;
    /// Burns the same work as a Verify, for unknown users, so timing does not reveal which nicknames exist.
    void VerifyDummy(std::string_view password) const;

  private:
    std::string dummy_hash_;
    Histogram hash_seconds_;  // set after the dummy's hash: the start is not a user's
};

}  // namespace rooms
