#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/asio.h"

namespace rooms {

/// The web UI's file for `path` (decoded once already: the request target's path) under `dir`: the file itself,
/// index.html for a folder, and the app's index.html for a browser navigating to a client-side route (an HTML
/// request of a path without an extension); else 404. Paths that climb out of `dir` are 404. Reads the disk: call it
/// off the I/O threads.
Response StaticFile(const std::filesystem::path& dir, const Request& req, std::string_view path);

/// The web UI's files read into memory once, at start (up to `budget_bytes`, http.static_cache_bytes), so that a
/// request for one costs a lookup and a copy on the I/O thread instead of a disk read on the blocking pool: static
/// paths are not rate limited, and must stay cheap. Answers as StaticFile does. Files changed on disk are seen after
/// a restart. Immutable after construction: thread-safe.
class StaticFiles {
  public:
    StaticFiles(std::filesystem::path dir, std::size_t budget_bytes);

    /// The answer for `path` (decoded), or nullopt when it needs the disk (StaticFile): only when the files did
    /// not all fit the budget.
    std::optional<Response> Find(const Request& req, std::string_view path) const;
    const std::filesystem::path& dir() const { return dir_; }
    bool complete() const { return complete_; }

  private:
    struct File {
        std::string body;
        std::string_view content_type;
        bool index = false;  // index.html: revalidated on every load
    };
    Response Answer(const Request& req, const File& file) const;

    std::filesystem::path dir_;
    std::unordered_map<std::string, File> files_;  // by path relative to dir_, '/'-separated
    bool complete_ = true;                         // every regular file is in files_
};

}  // namespace rooms
