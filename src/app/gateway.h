#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/id_generator.h"
#include "domain/ports.h"
#include "http/api_handlers.h"
#include "http/asio.h"
#include "http/room_hub.h"

namespace rooms {

/// What a gateway (roles all and websocket) runs on; the role picks the implementations.
/// The role also connects `hub` to the stream of accepted messages (the memory bus or Kafka).
struct GatewayBackends {
    UserStore& users;
    RefreshTokenStore& tokens;
    RoomStore& rooms;
    MessageStore& messages;
    MessageBus& bus;
    Presence& presence;
    HistoryCache& history;
    RoomHub& hub;
    IdGenerator& ids;
    std::vector<ReadinessCheck> readiness;
};

/// Serves the API, the room WebSockets and the web UI until SIGINT or SIGTERM, then closes every connection
/// gracefully (WebSockets with 1001) and returns. Blocks the calling thread, which becomes an I/O thread.
void ServeGateway(const Config& config, const std::string& role, GatewayBackends backends);

/// Serves only /healthz and /readyz (the consumer role) until SIGINT or SIGTERM. Blocks.
void ServeProbes(const Config& config, const std::string& role, std::vector<ReadinessCheck> readiness);

/// The JWT key: auth.jwt_secret, else the key file (auth.jwt_secret_file or <data_dir>/jwt.key), created
/// on first start only when `may_generate` (the all-in-one server; gateways of a cluster must share one).
std::string JwtKey(const Config& config, bool may_generate);

/// "a, b,c" -> {"a","b","c"}.
std::vector<std::string> SplitList(const std::string& text);

/// The folder `relative` found beside the binary's source tree (build/rooms -> ../relative) or in the
/// working directory; empty when neither exists.
std::filesystem::path FindBesideBinary(const std::filesystem::path& relative, const std::string& marker_file);

}  // namespace rooms
