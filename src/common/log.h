#pragma once

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace rooms {

/// Who writes the log lines: every JSON line carries it.
struct LogSource {
    std::string role;  ///< `all`, `websocket`, `consumer`
    int node_id = 0;   ///< node_id, unique per instance
};

/// One line per event on stderr. Passwords, tokens and query strings are never passed to the logger (see
/// http/http_session.cc, which logs paths without their query).
///   `text` (log_format): time, level, message.
///   `json`: one object per line for a log shipper: {"time", "level", "role", "node_id", "host", "pid", "event",
///           "msg"} and a string field per `key=value` word of the message (room=, user=, conn=, code=, ...).
///           `event` is the message's first word (`http`, `ws`, `kafka`, ...), "log" when it has none.
void InitLogging(const std::string& level, const std::string& format = "text", const LogSource& source = {});

/// The `json` formatter of InitLogging (exposed for its tests).
std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter(const LogSource& source);

}  // namespace rooms
