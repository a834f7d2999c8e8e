#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace rooms {

/// One line per event on stderr: time, level, message. Passwords, tokens and query strings are never
/// passed to the logger (see http/server.cc, which logs paths without their query).
void InitLogging(const std::string& level);

}  // namespace rooms
