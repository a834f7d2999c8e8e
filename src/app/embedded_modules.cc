// The modules of the embedded store (role all): SQLite, and the in-process bus, presence and history cache.

#include <spdlog/spdlog.h>

#include <filesystem>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "adapters/sqlite/sqlite_store.h"
#include "app/modules.h"
#include "services/batch_persister.h"
#include "services/group_commit_bus.h"

namespace rooms {

namespace fs = std::filesystem;

namespace {

SqliteSynchronous Synchronous(const std::string& setting) {
    return setting == "full" ? SqliteSynchronous::kFull : SqliteSynchronous::kNormal;
}

struct Sqlite {
    explicit Sqlite(const Config& c)
        : db((fs::path(c.data_dir) / "rooms.db").string(), Synchronous(c.storage.sqlite_synchronous)),
          users(db),
          tokens(db),
          rooms(db),
          messages(db),
          ids(c.node_id, messages.MaxId()) {}
    SqliteDatabase db;
    SqliteUserStore users;
    SqliteRefreshTokenStore tokens;
    SqliteRoomStore rooms;
    SqliteMessageStore messages;
    IdGenerator ids;
};

struct Memory {
    explicit Memory(const Config& c) : history(c.chat.history_size, c.chat.history_cache_bytes) {}
    ~Memory() { bus.Close(); }  // refuses what still comes (shutdown)
    MemoryBus bus;
    MemoryPresence presence;
    MemoryHistoryCache history;
};

/// The group commit in front of the in-process bus: a message reaches the bus's sinks (the hub) once SQLite and
/// the history cache hold it.
struct MemoryPersister {
    MemoryPersister(MessageStore& store, HistoryCache& cache, MessageBus& bus, const StorageSettings& s, Tracer& tracer)
        : persister(store, cache, &tracer, {"sqlite insert", "history append"}),
          commit(persister, bus,
                 GroupCommitLimits{static_cast<std::size_t>(s.batch_size),
                                   static_cast<std::size_t>(s.max_pending_messages)}) {}
    // Every connection is gone by now and the hub (built before) is still there: commit and fan out what is queued.
    ~MemoryPersister() {
        commit.Stop();
        spdlog::info("stopped: {} messages committed this run in {} transactions", commit.committed(),
                     commit.batches());
    }
    BatchPersister persister;
    GroupCommitBus commit;
};

}  // namespace

void InitSqlite(Process& p) {
    fs::create_directories(p.config().data_dir);
    spdlog::info("data_dir={}", fs::absolute(p.config().data_dir).string());
    auto& s = p.Own(std::make_unique<Sqlite>(p.config()));
    p.ports.users = &s.users;
    p.ports.tokens = &s.tokens;
    p.ports.rooms = &s.rooms;
    p.ports.messages = &s.messages;
    p.ports.ids = &s.ids;
    p.ports.may_generate_jwt_key = true;
    p.readiness.push_back(Required("database", [&s] { return s.db.Health(); }));
}

void InitMemory(Process& p) {
    auto& m = p.Own(std::make_unique<Memory>(p.config()));
    p.ports.bus = &m.bus;
    p.ports.presence = &m.presence;
    p.ports.history = &m.history;
    p.ports.subscribe = [&m](MessageSink& sink) { m.bus.Subscribe(&sink); };
}

void InitMemoryPersister(Process& p) {
    auto& m = p.Own(std::make_unique<MemoryPersister>(
        p.Require(p.ports.messages, "a message store", "memory-persister"),
        p.Require(p.ports.history, "a history cache", "memory-persister"),
        p.Require(p.ports.bus, "the in-process bus (module memory)", "memory-persister"), p.config().storage,
        *p.tracer));
    // From now on publishing means committing first: the gateway publishes to the group commit, which hands each
    // committed message to the in-process bus.
    p.ports.bus = &m.commit;
}

void InitMemoryFanout(Process& p) {
    if (!p.ports.subscribe) throw std::logic_error("module memory-fanout needs the in-process bus (module memory)");
    p.ports.subscribe(p.Require(p.ports.hub, "the gateway's hub", "memory-fanout"));
}

}  // namespace rooms
