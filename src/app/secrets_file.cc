#include "app/secrets_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crypto/secrets.h"

namespace rooms {

std::string LoadOrCreateKeyFile(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        std::string key = RandomToken(32);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            const bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
            ::fsync(fd);
            ::close(fd);
            if (!ok) throw std::runtime_error("cannot write the JWT key to " + path.string());
            spdlog::info("auth: generated a new JWT key in {}", path.string());
            return key;
        }
        if (errno != EEXIST)
            throw std::runtime_error("cannot create the JWT key file " + path.string() + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0)
        spdlog::warn("auth: {} is readable by other users; chmod 600 it", path.string());
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the JWT key file " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    std::string key = s.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.size() < 32) throw std::runtime_error("the JWT key in " + path.string() + " is shorter than 32 bytes");
    return key;
}

}  // namespace rooms
