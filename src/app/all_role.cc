#include <spdlog/spdlog.h>

#include <filesystem>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "adapters/sqlite/sqlite_store.h"
#include "app/gateway.h"
#include "app/roles.h"
#include "crypto/secrets.h"
#include "services/persist_sink.h"
#include "services/write_behind_store.h"

namespace rooms {

namespace fs = std::filesystem;

int RunAllInOne(const Config& config) {
    InitCrypto();
    fs::create_directories(config.data_dir);

    // Stores: SQLite in the data directory, messages written behind in batches.
    SqliteDatabase db((fs::path(config.data_dir) / "rooms.db").string());
    SqliteUserStore users(db);
    SqliteRefreshTokenStore tokens(db);
    SqliteRoomStore room_store(db);
    SqliteMessageStore sqlite_messages(db);
    WriteBehindMessageStore messages(sqlite_messages, config.storage.batch_size,
                                     std::chrono::milliseconds(config.storage.flush_interval_ms));
    IdGenerator ids(config.node_id, sqlite_messages.MaxId());

    // In-process bus, presence and history cache.
    MemoryBus bus;
    MemoryPresence presence;
    MemoryHistoryCache history(config.chat.history_size);
    RoomHub hub;
    PersistSink persist(history, messages);
    bus.Subscribe(&persist);  // first, so a message is in the history before any client sees it
    bus.Subscribe(&hub);

    spdlog::info("data_dir={}", fs::absolute(config.data_dir).string());
    std::vector<ReadinessCheck> readiness{{"database", [&db]() -> std::optional<std::string> {
                                               if (db.Ping()) return std::nullopt;
                                               return "SQLite does not answer";
                                           }}};
    ServeGateway(
        config, "all",
        GatewayBackends{users, tokens, room_store, messages, bus, presence, history, hub, ids, std::move(readiness)});

    // Every connection is gone: no more messages can arrive. Write what is queued, then close the stores.
    bus.Close();
    messages.Stop();
    spdlog::info("stopped: {} messages written this run", messages.written());
    return 0;
}

}  // namespace rooms
