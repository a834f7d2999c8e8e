#include "crypto/secrets.h"

#include <openssl/sha.h>
#include <sodium.h>

#include <chrono>
#include <stdexcept>

#include "crypto/jwt.h"

namespace rooms {

namespace {
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = std::size_t{19} * 1024 * 1024;

/// Observes the seconds from its construction to its end.
class Timed {
  public:
    explicit Timed(const Histogram& h) : h_(h), start_(std::chrono::steady_clock::now()) {}
    ~Timed() { h_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()); }
    Timed(const Timed&) = delete;
    Timed& operator=(const Timed&) = delete;

  private:
    const Histogram& h_;
    const std::chrono::steady_clock::time_point start_;
};
}  // namespace

void InitCrypto() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
}

std::string RandomToken(std::size_t bytes) {
    std::string raw(bytes, '\0');
    randombytes_buf(raw.data(), raw.size());
    return Base64UrlEncode(raw);
}

TokenHash Sha256(std::string_view data) {
    TokenHash out{};
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
    return out;
}

PasswordHasher::PasswordHasher(Histogram hash_seconds) {
    dummy_hash_ = Hash(RandomToken(16));
    hash_seconds_ = hash_seconds;
}

std::string PasswordHasher::Hash(std::string_view password) const {
    const Timed timed(hash_seconds_);
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw std::runtime_error("argon2id: out of memory");
    return out;
}

bool PasswordHasher::Verify(std::string_view password, const std::string& encoded) const {
    const Timed timed(hash_seconds_);
    return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(std::string_view password) const { (void)Verify(password, dummy_hash_); }

}  // namespace rooms
