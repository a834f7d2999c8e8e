// Process-wide setup for the unit tests (main() comes from GTest::gtest_main).

#include <gtest/gtest.h>

#include "crypto/secrets.h"

namespace {

/// libsodium must be initialized once before RandomToken, PasswordHasher and everything built on them.
class CryptoEnvironment : public ::testing::Environment {
  public:
    void SetUp() override { rooms::InitCrypto(); }
};

[[maybe_unused]] ::testing::Environment* const kCryptoEnvironment =
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment);

}  // namespace
