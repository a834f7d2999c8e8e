#pragma once

// A small synchronous Redis client on top of hiredis: a fixed pool of blocking connections, for the worker
// threads of the distributed roles. hiredis itself stays out of this header (it is linked PRIVATE).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/settings.h"
#include "metrics/pool_metrics.h"

struct redisContext;  // hiredis, defined in redis_pool.cc only

namespace rooms {

/// Everything that can go wrong talking to Redis. The message names the server and ends with a hint for the
/// operator; it never contains the password.
class RedisError : public std::runtime_error {
  public:
    enum class Kind {
        kConnect,   // the TCP connection could not be opened (refused, unreachable, connect timeout)
        kAuth,      // AUTH failed, or Redis wants a password and none is configured
        kTimeout,   // no reply within the command timeout
        kIo,        // the connection broke (Redis restarted, the client was killed)
        kReply,     // Redis answered with an error reply (wrong type, OOM, script error...)
        kProtocol,  // Redis answered something this client does not expect
    };
    RedisError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind GetKind() const noexcept { return kind_; }

  private:
    Kind kind_;
};

struct RedisOptions {
    /// address (HOST:PORT, [v6-address]:PORT also works), password (empty: no AUTH), pool_size (connections,
    /// opened lazily on first use), connect_timeout_ms, command_timeout_ms.
    RedisSettings redis;
    std::string client_name = "rooms";  ///< CLIENT SETNAME, shown by CLIENT LIST; no spaces
    PoolMetrics metrics = {};           ///< pool="redis"; errors: every RedisError a Run lets through
};

/// One reply, copied out of hiredis.
struct RedisReply {
    enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
    Type type = Type::kNil;
    std::string str;  ///< kString, kStatus, kError
    std::int64_t integer = 0;
    std::vector<RedisReply> elements;  ///< kArray

    bool IsNil() const { return type == Type::kNil; }
    bool IsError() const { return type == Type::kError; }
};

/// Throws RedisError when `reply` is an error reply: kAuth for NOAUTH, else kReply, with a hint fitting the
/// error. `what` names the operation ("history append").
void CheckReply(const RedisReply& reply, std::string_view what, const std::string& address);

/// A Lua script run with EVALSHA; resent as EVAL when the server does not know it (after a restart or
/// SCRIPT FLUSH). Immutable, so one instance may be shared by every thread.
class RedisScript {
  public:
    explicit RedisScript(std::string body);
    const std::string& Body() const { return body_; }
    const std::string& Sha1() const { return sha1_; }

  private:
    std::string body_;
    std::string sha1_;
};

/// One command of a pipeline: its arguments, and the script when it is an EVALSHA.
struct RedisCommand {
    std::vector<std::string> args;
    const RedisScript* script = nullptr;

    /// EVALSHA <sha> <#keys> keys... args...
    static RedisCommand Eval(const RedisScript& script, std::vector<std::string> keys, std::vector<std::string> args);
};

/// One connection of a RedisPool. Blocking; used by one thread at a time (the holder of its lease).
/// Connects on first use, and again on the next use after any connection error or timeout (a context that
/// timed out may still receive the late reply, so it is never reused).
class RedisConnection {
  public:
    RedisConnection(const RedisOptions& options, std::string address_for_errors);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    /// Sends one command and waits for its reply. An error reply comes back as a kError reply; a broken
    /// connection, a timeout or a failed AUTH throws RedisError.
    RedisReply Command(std::vector<std::string> args);
    /// Like Command, but an error reply throws RedisError(kReply) too.
    RedisReply CommandOrThrow(std::vector<std::string> args);
    /// Sends every command in one round trip; the replies are in the same order. Redis runs them in order,
    /// but not atomically (other clients' commands may come in between). EVALSHA commands the server does not
    /// know are resent as EVAL.
    std::vector<RedisReply> Pipeline(std::span<const RedisCommand> commands);

    /// For a connection in subscribe mode (after SUBSCRIBE): the next pushed message, or nullopt when none came
    /// within `wait`. Throws RedisError when the connection broke.
    std::optional<RedisReply> Receive(std::chrono::milliseconds wait);

    bool IsConnected() const { return context_ != nullptr; }
    /// Closes the connection; the next command opens a new one.
    void Disconnect();

  private:
    void EnsureConnected();
    [[noreturn]] void FailFromContext(std::string_view what);
    RedisReply ReadReply();

    const RedisOptions& options_;
    const std::string address_;  // for messages
    std::string host_;
    int port_ = 0;
    redisContext* context_ = nullptr;
};

/// A fixed pool of RedisConnection. Thread-safe. Every call blocks the calling thread for a network round trip
/// (bounded by the connect and command timeouts): call it from worker threads only, never from an I/O thread.
class RedisPool {
  public:
    /// Does not connect: connections open on first use, so a process can start while Redis is down (its
    /// readiness check reports it). Throws std::invalid_argument on a malformed address or pool size.
    explicit RedisPool(RedisOptions options);
    ~RedisPool();
    RedisPool(const RedisPool&) = delete;
    RedisPool& operator=(const RedisPool&) = delete;

    /// Runs `fn(RedisConnection&)` on a free connection, waiting for one when all are busy. When a connection
    /// that was open before the call turns out broken (Redis restarted, the server closed it), `fn` runs once
    /// more on a fresh connection: `fn` must therefore be idempotent. Timeouts are not retried.
    template <class Fn>
    auto Run(Fn&& fn) -> std::invoke_result_t<Fn&, RedisConnection&>;

    /// Readiness: nullopt when Redis answers PING, else what is wrong (with a hint).
    std::optional<std::string> Health();

    const std::string& Address() const { return options_.redis.address; }

  private:
    class Lease {
      public:
        Lease(RedisPool& pool, std::size_t index) : pool_(pool), index_(index) {}
        ~Lease() { pool_.Release(index_); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        RedisConnection& Connection() { return *pool_.connections_[index_]; }

      private:
        RedisPool& pool_;
        std::size_t index_;
    };
    std::size_t Acquire();
    void Release(std::size_t index);

    const RedisOptions options_;
    std::vector<std::unique_ptr<RedisConnection>> connections_;
    std::mutex mu_;
    std::condition_variable released_;
    std::vector<std::size_t> free_;
};

template <class Fn>
auto RedisPool::Run(Fn&& fn) -> std::invoke_result_t<Fn&, RedisConnection&> {
    Lease lease(*this, Acquire());
    RedisConnection& connection = lease.Connection();
    const bool was_open = connection.IsConnected();
    try {
        return fn(connection);
    } catch (const RedisError& e) {
        // A pooled connection may have died while idle; that says nothing about Redis now, so try once afresh.
        if (!was_open || e.GetKind() != RedisError::Kind::kIo) {
            options_.metrics.errors.Inc();
            throw;
        }
    }
    try {
        return fn(connection);
    } catch (const RedisError&) {
        options_.metrics.errors.Inc();
        throw;
    }
}

}  // namespace rooms
