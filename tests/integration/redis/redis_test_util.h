#pragma once

// Shared by the Redis integration tests: the server comes from ROOMS_TEST_REDIS_ADDRESS (a missing variable is a
// failure, never a skip); every test works under its own random key prefix and deletes its keys at the end.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/redis_pool.h"
#include "domain/types.h"
#include "support/closed_port.h"

namespace rooms::test {

/// ROOMS_TEST_REDIS_ADDRESS, or nullopt (the caller fails the test with RedisAddressHelp()).
std::optional<std::string> RedisAddressFromEnv();
std::string RedisAddressHelp();

using test_support::ClosedPort;

/// A message with every field set.
Message MakeMessage(MessageId id, RoomId room, std::string content = {});

class RedisTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    /// Options for a pool on the test server.
    RedisOptions Options(int pool_size = 2) const;
    /// Every key under this test's prefix.
    std::vector<std::string> Keys();

    std::string address_;
    std::string prefix_;                // "rooms-test:<random>:"
    std::unique_ptr<RedisPool> admin_;  // for direct commands
};

/// A redis-server process of the test's own on a free loopback port (for restarts and AUTH); stopped at
/// destruction. The binary is ROOMS_TEST_REDIS_SERVER or redis-server on PATH.
class PrivateRedisServer {
  public:
    explicit PrivateRedisServer(std::string password = {});
    ~PrivateRedisServer();
    PrivateRedisServer(const PrivateRedisServer&) = delete;
    PrivateRedisServer& operator=(const PrivateRedisServer&) = delete;

    /// Empty when it runs, else why not.
    std::string Start();
    void Stop();
    std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

  private:
    std::string password_;
    int port_;
    int pid_ = -1;
};

}  // namespace rooms::test
