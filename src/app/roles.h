#pragma once

#include "common/config.h"

namespace rooms {

/// Runs the `all` role (API + WebSocket gateway + persistence on the embedded store) until SIGINT or
/// SIGTERM, then shuts down gracefully. Returns the process exit code.
int RunAllInOne(const Config& config);

}  // namespace rooms
