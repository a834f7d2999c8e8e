#include "adapters/redis/redis_pool.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace rooms {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

RedisReply Convert(const redisReply& r) {
    RedisReply out;
    switch (r.type) {
        case REDIS_REPLY_STRING:
            out.type = RedisReply::Type::kString;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = RedisReply::Type::kStatus;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = RedisReply::Type::kError;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::kInteger;
            out.integer = r.integer;
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::kArray;
            out.elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
            break;
        default:
            out.type = RedisReply::Type::kNil;
            break;
    }
    return out;
}

struct ReplyDeleter {
    void operator()(void* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<void, ReplyDeleter>;

// hiredis writes with write(2), which raises SIGPIPE when Redis has closed the connection; the default action
// kills the process. Like libpq, block SIGPIPE on this thread while hiredis writes and swallow the one it
// raised, so the failure surfaces as an EPIPE error instead. No process-wide signal state is touched.
class SigpipeGuard {
  public:
    SigpipeGuard() {
        sigset_t sigpipe;
        sigemptyset(&sigpipe);
        sigaddset(&sigpipe, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &sigpipe, &old_mask_);
    }
    ~SigpipeGuard() {
        if (!was_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                sigset_t sigpipe;
                sigemptyset(&sigpipe);
                sigaddset(&sigpipe, SIGPIPE);
                const timespec zero{};
                while (sigtimedwait(&sigpipe, nullptr, &zero) < 0 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  private:
    sigset_t old_mask_{};
    bool was_pending_ = false;
};

// Error replies of scripts wrap the inner error ("ERR user_script:3: WRONGTYPE ..."), so look inside them too.
std::string ErrorHint(std::string_view error) {
    const auto has = [error](std::string_view what) { return error.find(what) != std::string_view::npos; };
    if (error.starts_with("NOAUTH")) return "Redis requires a password: set redis.password (ROOMS_REDIS_PASSWORD)";
    if (has("WRONGPASS") || has("invalid password")) return "check redis.password (ROOMS_REDIS_PASSWORD)";
    if (has("OOM")) return "Redis reached maxmemory; raise it or use an evicting policy";
    if (has("READONLY")) return "redis.address points at a replica; use the primary";
    if (has("WRONGTYPE")) return "another application uses the same keys; give this one its own redis.key_prefix";
    if (has("LOADING")) return "Redis is loading its data set; retry shortly";
    if (has("unknown command") || has("script"))
        return "Rooms needs Redis 6.0.6 or later (Lua scripts, LPOS); check the server version and its log";
    return "see the Redis log";
}

void SplitAddress(const std::string& address, std::string& host, int& port) {
    std::string_view a = address;
    std::string_view port_text;
    if (a.starts_with('[')) {  // [v6]:port
        const auto close = a.find(']');
        if (close == std::string_view::npos) throw std::invalid_argument("redis.address: missing ']' in " + address);
        host = std::string(a.substr(1, close - 1));
        if (close + 1 < a.size()) {
            if (a[close + 1] != ':') throw std::invalid_argument("redis.address: expected HOST:PORT, got " + address);
            port_text = a.substr(close + 2);
        }
    } else {
        const auto colon = a.rfind(':');
        host = std::string(a.substr(0, colon));
        if (colon != std::string_view::npos) port_text = a.substr(colon + 1);
    }
    port = 6379;
    if (!port_text.empty()) {
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
            throw std::invalid_argument("redis.address: bad port in " + address);
    }
    if (host.empty()) throw std::invalid_argument("redis.address: expected HOST:PORT, got '" + address + "'");
}

}  // namespace

void CheckReply(const RedisReply& reply, std::string_view what, const std::string& address) {
    if (!reply.IsError()) return;
    const auto kind = reply.str.starts_with("NOAUTH") ? RedisError::Kind::kAuth : RedisError::Kind::kReply;
    throw RedisError(kind, "Redis at " + address + ": " + std::string(what) + " failed: " + reply.str +
                               "; hint: " + ErrorHint(reply.str));
}

RedisScript::RedisScript(std::string body) : body_(std::move(body)) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(body_.data(), body_.size(), digest, &size, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 of a Redis script failed");
    static constexpr char kHex[] = "0123456789abcdef";
    sha1_.reserve(static_cast<std::size_t>(size) * 2);
    for (unsigned int i = 0; i < size; ++i) {
        sha1_.push_back(kHex[digest[i] >> 4]);
        sha1_.push_back(kHex[digest[i] & 0xf]);
    }
}

RedisCommand RedisCommand::Eval(const RedisScript& script, std::vector<std::string> keys,
                                std::vector<std::string> args) {
    RedisCommand c;
    c.script = &script;
    c.args.reserve(3 + keys.size() + args.size());
    c.args.push_back("EVALSHA");
    c.args.push_back(script.Sha1());
    c.args.push_back(std::to_string(keys.size()));
    for (auto& k : keys) c.args.push_back(std::move(k));
    for (auto& a : args) c.args.push_back(std::move(a));
    return c;
}

RedisConnection::RedisConnection(const RedisOptions& options, std::string address_for_errors)
    : options_(options), address_(std::move(address_for_errors)) {
    SplitAddress(options_.redis.address, host_, port_);
}

RedisConnection::~RedisConnection() { Disconnect(); }

void RedisConnection::Disconnect() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
}

void RedisConnection::FailFromContext(std::string_view what) {
    const int saved_errno = errno;
    const int err = context_ != nullptr ? context_->err : REDIS_ERR_OTHER;
    const std::string detail = context_ != nullptr ? context_->errstr : "no context";
    Disconnect();
    if (err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
        throw RedisError(RedisError::Kind::kTimeout,
                         "Redis at " + address_ + ": no reply to " + std::string(what) + " within " +
                             std::to_string(options_.redis.command_timeout_ms) +
                             " ms; hint: Redis is overloaded, blocked or unreachable; check its latency and "
                             "redis.address");
    }
    if (err == REDIS_ERR_PROTOCOL) {
        throw RedisError(RedisError::Kind::kProtocol, "Redis at " + address_ + ": protocol error on " +
                                                          std::string(what) + ": " + detail +
                                                          "; hint: is redis.address really a Redis server?");
    }
    throw RedisError(RedisError::Kind::kIo, "Redis at " + address_ + ": connection lost during " + std::string(what) +
                                                ": " + detail +
                                                "; hint: Redis restarted or closed the connection; it is reopened "
                                                "on the next call");
}

void RedisConnection::EnsureConnected() {
    if (context_ != nullptr) return;
    context_ = redisConnectWithTimeout(host_.c_str(), port_,
                                       ToTimeval(std::chrono::milliseconds(options_.redis.connect_timeout_ms)));
    if (context_ == nullptr || context_->err != 0) {
        const std::string detail = context_ != nullptr ? context_->errstr : "out of memory";
        Disconnect();
        throw RedisError(RedisError::Kind::kConnect, "Redis at " + address_ + ": cannot connect: " + detail +
                                                         "; hint: check that Redis is running and that "
                                                         "redis.address points at it");
    }
    const timeval timeout = ToTimeval(std::chrono::milliseconds(options_.redis.command_timeout_ms));
    if (redisSetTimeout(context_, timeout) != REDIS_OK) FailFromContext("setting the timeout");
    redisEnableKeepAlive(context_);

    if (!options_.redis.password.empty()) {
        // The password is sent, never put in a message: errors quote Redis's reply only.
        const RedisReply reply = Command({"AUTH", options_.redis.password});
        if (reply.IsError()) {
            Disconnect();
            throw RedisError(RedisError::Kind::kAuth, "Redis at " + address_ + ": AUTH failed: " + reply.str +
                                                          "; hint: " + ErrorHint(reply.str));
        }
    }
    if (!options_.client_name.empty()) {
        const RedisReply reply = Command({"CLIENT", "SETNAME", options_.client_name});
        if (reply.IsError()) {
            Disconnect();
            CheckReply(reply, "CLIENT SETNAME", address_);
        }
    }
}

RedisReply RedisConnection::ReadReply() {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) FailFromContext("a command");
    ReplyPtr reply(raw);
    return Convert(*static_cast<redisReply*>(raw));
}

RedisReply RedisConnection::Command(std::vector<std::string> args) {
    EnsureConnected();
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    SigpipeGuard guard;
    errno = 0;
    void* raw = redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
    if (raw == nullptr) FailFromContext(args.empty() ? "a command" : args[0]);
    ReplyPtr reply(raw);
    return Convert(*static_cast<redisReply*>(raw));
}

std::optional<RedisReply> RedisConnection::Receive(std::chrono::milliseconds wait) {
    if (context_ == nullptr) throw RedisError(RedisError::Kind::kIo, "Redis at " + address_ + ": not subscribed");
    void* raw = nullptr;
    // A reply may be buffered already (several arrived in one read).
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) FailFromContext("a subscription");
    if (raw == nullptr) {
        pollfd ready{context_->fd, POLLIN, 0};
        const int n = poll(&ready, 1, static_cast<int>(wait.count()));
        if (n == 0 || (n < 0 && errno == EINTR)) return std::nullopt;
        errno = 0;
        if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) FailFromContext("a subscription");
    }
    ReplyPtr reply(raw);
    return Convert(*static_cast<redisReply*>(raw));
}

RedisReply RedisConnection::CommandOrThrow(std::vector<std::string> args) {
    const std::string name = args.empty() ? "" : args[0];
    RedisReply reply = Command(std::move(args));
    CheckReply(reply, name, address_);
    return reply;
}

std::vector<RedisReply> RedisConnection::Pipeline(std::span<const RedisCommand> commands) {
    std::vector<RedisReply> replies;
    if (commands.empty()) return replies;
    EnsureConnected();
    replies.reserve(commands.size());
    {
        SigpipeGuard guard;
        errno = 0;
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& c : commands) {
            argv.clear();
            lengths.clear();
            for (const auto& a : c.args) {
                argv.push_back(a.data());
                lengths.push_back(a.size());
            }
            if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
                REDIS_OK)
                FailFromContext("a pipeline");
        }
        for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(ReadReply());
    }
    // The script cache is empty after a restart or SCRIPT FLUSH: send those scripts in full, in order.
    for (std::size_t i = 0; i < commands.size(); ++i) {
        if (commands[i].script == nullptr || !replies[i].IsError() || !replies[i].str.starts_with("NOSCRIPT")) continue;
        std::vector<std::string> args = commands[i].args;
        args[0] = "EVAL";
        args[1] = commands[i].script->Body();
        replies[i] = Command(std::move(args));
    }
    return replies;
}

RedisPool::RedisPool(RedisOptions options) : options_(std::move(options)) {
    if (options_.redis.pool_size < 1) throw std::invalid_argument("redis.pool_size must be at least 1");
    connections_.reserve(static_cast<std::size_t>(options_.redis.pool_size));
    for (int i = 0; i < options_.redis.pool_size; ++i) {
        connections_.push_back(std::make_unique<RedisConnection>(options_, options_.redis.address));
        free_.push_back(static_cast<std::size_t>(options_.redis.pool_size - 1 - i));
    }
}

RedisPool::~RedisPool() = default;

std::size_t RedisPool::Acquire() {
    const auto started = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    released_.wait(lock, [this] { return !free_.empty(); });
    const std::size_t index = free_.back();
    free_.pop_back();
    lock.unlock();
    options_.metrics.in_use.Inc();
    options_.metrics.wait_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return index;
}

void RedisPool::Release(std::size_t index) {
    options_.metrics.in_use.Dec();
    {
        std::lock_guard lock(mu_);
        free_.push_back(index);
    }
    released_.notify_one();
}

std::optional<std::string> RedisPool::Health() {
    try {
        const RedisReply reply = Run([](RedisConnection& c) { return c.CommandOrThrow({"PING"}); });
        if (reply.type == RedisReply::Type::kStatus && reply.str == "PONG") return std::nullopt;
        return "Redis at " + options_.redis.address + " answered PING with '" + reply.str + "'";
    } catch (const RedisError& e) {
        return std::string(e.what());
    }
}

}  // namespace rooms
