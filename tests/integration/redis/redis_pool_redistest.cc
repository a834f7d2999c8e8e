#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "adapters/redis/redis_history.h"
#include "adapters/redis/redis_presence.h"
#include "redis_test_util.h"

namespace rooms::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class RedisPoolTest : public RedisTest {};

// The ids of the server-side clients whose name is `name`.
std::vector<std::string> ClientIds(RedisPool& admin, const std::string& name) {
    const RedisReply list = admin.Run([](RedisConnection& c) { return c.CommandOrThrow({"CLIENT", "LIST"}); });
    std::vector<std::string> ids;
    std::istringstream lines(list.str);
    for (std::string line; std::getline(lines, line);) {
        if (line.find(" name=" + name + " ") == std::string::npos) continue;
        const auto start = line.find("id=") + 3;
        ids.push_back(line.substr(start, line.find(' ', start) - start));
    }
    return ids;
}

TEST_F(RedisPoolTest, PingAnswersWhenRedisRuns) {
    RedisPool pool(Options());
    EXPECT_EQ(pool.Health(), std::nullopt);
}

TEST_F(RedisPoolTest, CommandsAndPipelineRoundTrip) {
    RedisPool pool(Options());
    const std::string key = prefix_ + "k";
    pool.Run([&](RedisConnection& c) { return c.CommandOrThrow({"SET", key, std::string("a\0b", 3)}); });
    const RedisReply got = pool.Run([&](RedisConnection& c) { return c.CommandOrThrow({"GET", key}); });
    EXPECT_EQ(got.str, std::string("a\0b", 3));  // binary safe

    const std::vector<RedisCommand> commands{{{"INCR", key + ":n"}}, {{"INCR", key + ":n"}}, {{"LPUSH", key}}};
    const auto replies = pool.Run([&](RedisConnection& c) { return c.Pipeline(commands); });
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0].integer, 1);
    EXPECT_EQ(replies[1].integer, 2);
    EXPECT_TRUE(replies[2].IsError());  // wrong arity: an error reply, not an exception

    EXPECT_THROW(pool.Run([&](RedisConnection& c) { return c.CommandOrThrow({"LPUSH", key, "x"}); }), RedisError);
    // The connection is still usable after an error reply.
    EXPECT_EQ(pool.Health(), std::nullopt);
}

TEST_F(RedisPoolTest, ClosedPortThrowsRedisErrorQuickly) {
    RedisOptions options = Options(1);
    options.redis.address = "127.0.0.1:" + std::to_string(ClosedPort());
    RedisPool pool(options);
    const auto start = steady_clock::now();
    try {
        pool.Run([](RedisConnection& c) { return c.Command({"PING"}); });
        FAIL() << "no error";
    } catch (const RedisError& e) {
        EXPECT_EQ(e.GetKind(), RedisError::Kind::kConnect);
        EXPECT_NE(std::string(e.what()).find("hint:"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(options.redis.address), std::string::npos) << e.what();
    }
    EXPECT_LT(steady_clock::now() - start, milliseconds(1500));

    const auto problem = pool.Health();
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->find("cannot connect"), std::string::npos) << *problem;

    // The adapters surface the same error instead of hanging.
    RedisHistoryCache history(pool, {prefix_, 10});
    EXPECT_THROW(history.Recent(1, 10), RedisError);
    EXPECT_THROW(history.Append(MakeMessage(1, 1)), RedisError);
    RedisPresence presence(pool, {prefix_, std::chrono::seconds(2)});
    EXPECT_THROW(presence.Online(1), RedisError);
    EXPECT_LT(steady_clock::now() - start, milliseconds(3000));
}

TEST_F(RedisPoolTest, ServerThatNeverAnswersTimesOut) {
    // A socket that listens but never reads: connect succeeds (the kernel completes it), the reply never comes.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

    RedisOptions options = Options(1);
    options.redis.address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    options.client_name.clear();  // else CLIENT SETNAME at connect is the command that times out
    options.redis.command_timeout_ms = 300;
    RedisPool pool(options);
    const auto start = steady_clock::now();
    try {
        pool.Run([](RedisConnection& c) { return c.Command({"PING"}); });
        ADD_FAILURE() << "no error";
    } catch (const RedisError& e) {
        EXPECT_EQ(e.GetKind(), RedisError::Kind::kTimeout) << e.what();
    }
    const auto took = steady_clock::now() - start;
    EXPECT_GE(took, milliseconds(250));
    EXPECT_LT(took, milliseconds(1500));
    ::close(fd);
}

TEST_F(RedisPoolTest, ReconnectsAfterTheServerKillsItsConnections) {
    RedisOptions options = Options(2);
    options.client_name = "rooms-test-" + prefix_.substr(11, 16);
    RedisPool pool(options);
    // Open both connections.
    std::atomic<int> ready = 0;
    auto hold = [&] {
        pool.Run([&](RedisConnection& c) {
            c.CommandOrThrow({"PING"});
            ++ready;
            while (ready < 2) std::this_thread::sleep_for(milliseconds(5));
            return 0;
        });
    };
    std::thread a(hold), b(hold);
    a.join();
    b.join();
    const auto before = ClientIds(*admin_, options.client_name);
    ASSERT_EQ(before.size(), 2u);
    for (const auto& id : before)
        admin_->Run([&](RedisConnection& c) { return c.CommandOrThrow({"CLIENT", "KILL", "ID", id}); });

    // Both pooled connections are dead; each call notices, reconnects and succeeds.
    RedisPresence presence(pool, {prefix_, std::chrono::seconds(5)});
    presence.Add(7, "1:1", 1, "alice");
    EXPECT_EQ(pool.Health(), std::nullopt);
    EXPECT_EQ(presence.Online(7), std::vector<std::string>{"alice"});
    const auto after = ClientIds(*admin_, options.client_name);
    EXPECT_FALSE(after.empty());
    for (const auto& id : after) EXPECT_EQ(std::find(before.begin(), before.end(), id), before.end());
}

TEST_F(RedisPoolTest, RestartedServerIsReconnectedAndScriptsReloaded) {
    PrivateRedisServer server;
    const std::string problem = server.Start();
    ASSERT_TRUE(problem.empty()) << problem;
    RedisOptions options = Options(1);
    options.redis.address = server.Address();
    RedisPool pool(options);
    RedisHistoryCache history(pool, {prefix_, 5});
    history.Fill(1, {MakeMessage(2, 1), MakeMessage(1, 1)});
    ASSERT_EQ(history.Recent(1, 5)->size(), 2u);

    server.Stop();
    EXPECT_THROW(history.Recent(1, 5), RedisError);
    EXPECT_TRUE(pool.Health().has_value());

    ASSERT_EQ(server.Start(), "");
    // Data and the script cache are gone: a miss, then the scripts are sent in full (NOSCRIPT fallback).
    EXPECT_EQ(pool.Health(), std::nullopt);
    EXPECT_EQ(history.Recent(1, 5), std::nullopt);
    history.Fill(1, {MakeMessage(3, 1)});
    ASSERT_EQ(history.Recent(1, 5)->size(), 1u);
}

TEST_F(RedisPoolTest, PasswordIsSentAndNeverShown) {
    const std::string password = "s3cret-" + prefix_.substr(11, 16);
    PrivateRedisServer server(password);
    const std::string problem = server.Start();
    ASSERT_TRUE(problem.empty()) << problem;

    RedisOptions options = Options(1);
    options.redis.address = server.Address();
    options.redis.password = password;
    RedisPool good(options);
    EXPECT_EQ(good.Health(), std::nullopt);

    options.redis.password = "wrong-" + password;
    RedisPool wrong(options);
    try {
        wrong.Run([](RedisConnection& c) { return c.Command({"PING"}); });
        ADD_FAILURE() << "no error";
    } catch (const RedisError& e) {
        EXPECT_EQ(e.GetKind(), RedisError::Kind::kAuth) << e.what();
        EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("redis.password"), std::string::npos) << e.what();
    }

    options.redis.password.clear();
    RedisPool none(options);
    const auto none_problem = none.Health();
    ASSERT_TRUE(none_problem.has_value());
    EXPECT_NE(none_problem->find("redis.password"), std::string::npos) << *none_problem;
}

TEST_F(RedisPoolTest, ManyThreadsShareAFewConnections) {
    RedisPool pool(Options(3));
    const std::string key = prefix_ + "counter";
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) pool.Run([&](RedisConnection& c) { return c.CommandOrThrow({"INCR", key}); });
        });
    }
    for (auto& t : threads) t.join();
    const RedisReply got = pool.Run([&](RedisConnection& c) { return c.CommandOrThrow({"GET", key}); });
    EXPECT_EQ(got.str, "1600");
}

TEST(RedisPoolOptions, RejectsMalformedSettings) {
    RedisOptions options;
    options.redis.pool_size = 0;
    EXPECT_THROW(RedisPool{options}, std::invalid_argument);
    options.redis.pool_size = 1;
    options.redis.address = "127.0.0.1:notaport";
    EXPECT_THROW(RedisPool{options}, std::invalid_argument);
    options.redis.address = ":6379";
    EXPECT_THROW(RedisPool{options}, std::invalid_argument);
    options.redis.address = "[::1]:6379";
    EXPECT_NO_THROW(RedisPool{options});
}

}  // namespace
}  // namespace rooms::test
