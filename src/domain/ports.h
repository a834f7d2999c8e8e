#pragma once

// The interfaces the services depend on. The adapters (sqlite, postgres, redis, kafka, memory) implement them;
// only the composition root (app/) picks which.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/error.h"
#include "domain/types.h"

namespace rooms {

/// SHA-256 of a refresh token: the only form in which refresh tokens are stored.
using TokenHash = std::array<unsigned char, 32>;

/// Users. Blocking: call from a worker thread, never from an I/O thread. Thread-safe.
class UserStore {
  public:
    virtual ~UserStore() = default;
    /// Conflict when the nickname, or its key (two nicknames that look alike share one: NicknameKey in
    /// services/validation.h), is taken.
    virtual Result<User> Create(std::string_view nickname, std::string_view nickname_key,
                                std::string_view password_hash, TimePoint now) = 0;
    /// Compares exactly.
    virtual std::optional<User> FindByNickname(std::string_view nickname) = 0;
    virtual std::optional<User> FindByKey(std::string_view nickname_key) = 0;
    virtual std::optional<User> FindById(UserId id) = 0;
    /// Users registered before nicknames had keys, id above `after_id`, by id, at most `limit`.
    virtual std::vector<User> WithoutKey(UserId after_id, int limit) = 0;
    /// Sets a user's key once; false when another user holds it already.
    virtual bool SetKey(UserId id, std::string_view nickname_key) = 0;
};

enum class ConsumeStatus { kOk, kNotFound, kExpired, kAlreadyUsed, kRevoked };

struct ConsumedToken {
    ConsumeStatus status = ConsumeStatus::kNotFound;
    UserId user_id = 0;
    std::string family;
    /// kAlreadyUsed: when the token was spent (nullopt for tokens spent before this was recorded).
    std::optional<TimePoint> used_at;
};

/// Refresh tokens, stored by hash. Blocking; thread-safe.
class RefreshTokenStore {
  public:
    virtual ~RefreshTokenStore() = default;
    virtual void Insert(const TokenHash& hash, UserId user_id, std::string_view family, TimePoint expires_at) = 0;
    /// Atomically marks the token used at `now`, reporting the state it was in. Only one caller ever gets kOk.
    virtual ConsumedToken Consume(const TokenHash& hash, TimePoint now) = 0;
    /// Revokes every token of a family (one login session and all its rotations).
    virtual void RevokeFamily(std::string_view family) = 0;
    /// The family of a token, if it exists.
    virtual std::optional<std::string> FamilyOf(const TokenHash& hash) = 0;
};

/// Tells every gateway of the cluster that a session (a refresh-token family) was revoked, so each refuses its
/// access tokens and closes its room sockets. Thread-safe.
class RevocationBus {
  public:
    /// Receives every revocation published by any gateway (this one included), on the bus's thread; must not block.
    using Handler = std::function<void(const std::string& session)>;
    virtual ~RevocationBus() = default;
    /// Blocks for a round trip; throws when the revocation could not be published.
    virtual void Publish(std::string_view session) = 0;
};

/// What identifies the state of the room list: rooms are never deleted or renamed, so the pair changes exactly when
/// the list does (an ETag of GET /chat/rooms).
struct RoomListVersion {
    std::int64_t count = 0;
    RoomId max_id = 0;
    bool operator==(const RoomListVersion&) const = default;
};

/// Rooms. Blocking; thread-safe.
class RoomStore {
  public:
    virtual ~RoomStore() = default;
    virtual Room Create(std::string_view name, TimePoint now) = 0;
    /// Oldest first.
    virtual std::vector<Room> List() = 0;
    /// Oldest first (by id): at most `limit` rooms with an id above `after` (from the first when nullopt).
    virtual std::vector<Room> ListPage(std::optional<RoomId> after, int limit) = 0;
    /// How many rooms there are and the largest id; one cheap query.
    virtual RoomListVersion Version() = 0;
    virtual std::optional<Room> Find(RoomId id) = 0;
};

/// Thrown by a store that will never accept the data it was given (a message of an unknown room, content over
/// the column's limit, an encoding it cannot hold): retrying cannot help. Any other exception from a store may be
/// transient (a lost connection, a timeout) and is worth retrying.
class RejectedWrite : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Messages. Blocking; thread-safe.
class MessageStore {
  public:
    virtual ~MessageStore() = default;
    /// Idempotent: a message whose id is stored already is skipped. All or nothing: throws RejectedWrite when the
    /// store refuses a message of the batch for good (then none of the batch is stored), anything else when it
    /// failed otherwise.
    virtual void InsertBatch(std::span<const Message> messages) = 0;
    /// The newest `limit` messages of a room older than `before` (or the newest when nullopt), newest first.
    /// Order is acceptance order. An unknown `before` id gives NotFound.
    virtual Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit) = 0;
    /// The largest message id stored, 0 when empty.
    virtual MessageId MaxId() = 0;
};

/// Called by a MessageBus for every accepted message.
class MessageSink {
  public:
    virtual ~MessageSink() = default;
    /// Called once per message, per room in acceptance order, never concurrently for one room.
    /// Must not block.
    virtual void OnMessage(const Message& message) = 0;
};

/// Carries accepted messages to the sinks: in-process (memory) or through Kafka.
class MessageBus {
  public:
    /// Called exactly once: nullopt when the message is accepted, else why it was not.
    using DeliveryHandler = std::function<void(std::optional<Error>)>;
    virtual ~MessageBus() = default;
    /// Thread-safe, non-blocking.
    virtual void Publish(Message message, DeliveryHandler done) = 0;
};

/// Who is connected to which room, counted per connection. Blocking; thread-safe.
class Presence {
  public:
    virtual ~Presence() = default;
    virtual void Add(RoomId room, const ConnectionId& connection, UserId user, std::string_view nickname) = 0;
    virtual void Remove(RoomId room, const ConnectionId& connection) = 0;
    /// The users connected to a room, each once however many connections it has, sorted by nickname.
    virtual std::vector<std::string> Online(RoomId room) = 0;
};

/// The newest messages per room, for join. Blocking; thread-safe.
class HistoryCache {
  public:
    virtual ~HistoryCache() = default;
    virtual void Append(const Message& message) = 0;
    /// Appends a batch in order (per room); adapters may do it in one round trip.
    virtual void AppendBatch(std::span<const Message> messages) {
        for (const Message& m : messages) Append(m);
    }
    /// Newest first, at most `limit`; nullopt when the cache does not know the room (a miss).
    virtual std::optional<std::vector<Message>> Recent(RoomId room, int limit) = 0;
    /// Fills a missed room from the store (`newest_first` as read from it).
    virtual void Fill(RoomId room, std::vector<Message> newest_first) = 0;
    /// Drops what is cached for these rooms: the next read is a miss, filled from the store. For a cache that
    /// may have missed writes (it was unreachable); one that never misses a write need not implement it.
    virtual void Forget(std::span<const RoomId> /*rooms*/) {}
};

/// Messages accepted so recently that neither the store nor the history cache may hold them yet: in the
/// distributed roles a message reaches both a consumer batch after the gateways fanned it out. Thread-safe;
/// never blocks for long.
class RecentMessages {
  public:
    virtual ~RecentMessages() = default;
    /// True when `id` is such a message of `room`.
    virtual bool Holds(RoomId room, MessageId id) = 0;
    /// `newest_first` (as read from the store or the cache) with the recent messages it lacks put in front, at
    /// most `limit` in all.
    virtual std::vector<Message> AddTo(RoomId room, std::vector<Message> newest_first, int limit) = 0;
};

/// What became of a batch handed to a MessagePersister.
struct PersistedBatch {
    /// The messages the store refused for good (RejectedWrite), as indexes into the batch, with the reason.
    /// Every other message of the batch is stored.
    std::vector<std::pair<std::size_t, std::string>> refused;
};

/// Persists batches of accepted messages: stores them and keeps the history cache up to date. Blocking.
class MessagePersister {
  public:
    virtual ~MessagePersister() = default;
    /// Throws when the batch must be tried again (nothing is known to be stored; storing is idempotent).
    virtual PersistedBatch Persist(std::span<const Message> batch) = 0;
};

}  // namespace rooms
