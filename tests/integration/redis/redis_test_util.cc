#include "redis_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

extern char** environ;

namespace rooms::test {

std::optional<std::string> RedisAddressFromEnv() {
    const char* value = std::getenv("ROOMS_TEST_REDIS_ADDRESS");
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

std::string RedisAddressHelp() {
    return "ROOMS_TEST_REDIS_ADDRESS is not set: these tests need a Redis server. Start one with "
           "`scripts/services.sh start redis` and run them with ROOMS_TEST_REDIS_ADDRESS=127.0.0.1:56379";
}

Message MakeMessage(MessageId id, RoomId room, std::string content) {
    Message m;
    m.id = id;
    m.room_id = room;
    m.user_id = 1000 + id % 7;
    m.nickname = "user" + std::to_string(m.user_id);
    m.content = content.empty() ? "message " + std::to_string(id) : std::move(content);
    m.time_created = TimePoint(std::chrono::microseconds(1'700'000'000'000'000 + id));
    m.type = MessageType::kMessage;
    return m;
}

void RedisTest::SetUp() {
    const auto address = RedisAddressFromEnv();
    ASSERT_TRUE(address.has_value()) << RedisAddressHelp();
    address_ = *address;
    std::random_device rd;
    std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    prefix_ = std::string("rooms-test:") + buf + ":";
    admin_ = std::make_unique<RedisPool>(Options(1));
    const auto problem = admin_->Health();
    ASSERT_FALSE(problem.has_value()) << *problem;
}

void RedisTest::TearDown() {
    if (!admin_) return;
    try {
        for (const auto& key : Keys()) admin_->Run([&](RedisConnection& c) { return c.Command({"DEL", key}); });
    } catch (const RedisError& e) {
        ADD_FAILURE() << "cleanup: " << e.what();
    }
}

RedisOptions RedisTest::Options(int pool_size) const {
    RedisOptions o;
    o.redis.address = address_;
    o.redis.pool_size = pool_size;
    o.redis.connect_timeout_ms = 1000;
    o.redis.command_timeout_ms = 1000;
    o.client_name = "rooms-test";
    return o;
}

std::vector<std::string> RedisTest::Keys() {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
        const RedisReply reply = admin_->Run([&](RedisConnection& c) {
            return c.CommandOrThrow({"SCAN", cursor, "MATCH", prefix_ + "*", "COUNT", "1000"});
        });
        cursor = reply.elements.at(0).str;
        for (const auto& k : reply.elements.at(1).elements) keys.push_back(k.str);
    } while (cursor != "0");
    return keys;
}

PrivateRedisServer::PrivateRedisServer(std::string password) : password_(std::move(password)), port_(ClosedPort()) {}

PrivateRedisServer::~PrivateRedisServer() { Stop(); }

std::string PrivateRedisServer::Start() {
    const char* env_binary = std::getenv("ROOMS_TEST_REDIS_SERVER");
    const std::string binary = env_binary != nullptr && *env_binary != '\0' ? env_binary : "redis-server";
    std::vector<std::string> args{binary,         "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no",     "--daemonize",         "no",     "--logfile", ""};
    if (!password_.empty()) {
        args.push_back("--requirepass");
        args.push_back(password_);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its log (start-up banner, warnings) would only clutter the test output.
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, binary.c_str(), &quiet, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (rc != 0)
        return "cannot start " + binary + " (" + std::strerror(rc) +
               "): install redis-server or set ROOMS_TEST_REDIS_SERVER to its path";
    pid_ = pid;
    // Up when the port accepts connections.
    for (int i = 0; i < 100; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<std::uint16_t>(port_));
        const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (up) return {};
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return binary + " exited at start";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return binary + " did not listen on " + Address() + " within 5 s";
}

void PrivateRedisServer::Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

}  // namespace rooms::test
