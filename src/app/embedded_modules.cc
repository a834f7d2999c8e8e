// The modules of the embedded store (role all): SQLite, and the in-process bus, presence and history cache.

#include <spdlog/spdlog.h>

#include <filesystem>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "adapters/sqlite/sqlite_store.h"
#include "app/modules.h"
#include "services/batch_persister.h"
#include "services/persist_sink.h"
#include "services/write_behind_store.h"

namespace rooms {

namespace fs = std::filesystem;

namespace {

struct Sqlite {
    explicit Sqlite(const Config& c)
        : db((fs::path(c.data_dir) / "rooms.db").string()),
          users(db),
          tokens(db),
          rooms(db),
          stored_messages(db),
          messages(stored_messages, c.storage.batch_size, std::chrono::milliseconds(c.storage.flush_interval_ms)),
          ids(c.node_id, stored_messages.MaxId()) {}
    // Every connection is gone by now: no more messages can arrive. Write what is queued.
    ~Sqlite() {
        messages.Stop();
        spdlog::info("stopped: {} messages written this run", messages.written());
    }
    SqliteDatabase db;
    SqliteUserStore users;
    SqliteRefreshTokenStore tokens;
    SqliteRoomStore rooms;
    SqliteMessageStore stored_messages;
    WriteBehindMessageStore messages;  // batches off the network threads
    IdGenerator ids;
};

struct Memory {
    explicit Memory(const Config& c) : history(c.chat.history_size, c.chat.history_cache_bytes) {}
    ~Memory() { bus.Close(); }  // refuses what still comes (shutdown)
    MemoryBus bus;
    MemoryPresence presence;
    MemoryHistoryCache history;
};

struct MemoryPersister {
    MemoryPersister(MessageStore& store, HistoryCache& cache) : persister(store, cache), sink(persister) {}
    BatchPersister persister;
    PersistSink sink;
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
    auto& m =
        p.Own(std::make_unique<MemoryPersister>(p.Require(p.ports.messages, "a message store", "memory-persister"),
                                                p.Require(p.ports.history, "a history cache", "memory-persister")));
    // Subscribed before the hub: a message is in the history before any client sees it.
    if (!p.ports.subscribe) throw std::logic_error("module memory-persister needs the in-process bus (module memory)");
    p.ports.subscribe(m.sink);
}

void InitMemoryFanout(Process& p) {
    if (!p.ports.subscribe) throw std::logic_error("module memory-fanout needs the in-process bus (module memory)");
    p.ports.subscribe(p.Require(p.ports.hub, "the gateway's hub", "memory-fanout"));
}

}  // namespace rooms
