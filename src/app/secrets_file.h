#pragma once

#include <filesystem>
#include <string>

namespace rooms {

/// The JWT key from `path`, created with 256 random bits (mode 0600) when the file does not exist.
/// Throws when it cannot be read or created, or is too short.
std::string LoadOrCreateKeyFile(const std::filesystem::path& path);

}  // namespace rooms
