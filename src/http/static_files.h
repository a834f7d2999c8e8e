#pragma once

#include <filesystem>
#include <string_view>

#include "http/asio.h"

namespace rooms {

/// The web UI's file for `path` under `dir`: the file itself, index.html for a folder, and the app's index.html
/// for a browser navigating to a client-side route (an HTML request of a path without an extension); else 404.
/// Paths that climb out of `dir` are 404. Reads the disk: call it off the I/O threads.
Response StaticFile(const std::filesystem::path& dir, const Request& req, std::string_view path);

}  // namespace rooms
