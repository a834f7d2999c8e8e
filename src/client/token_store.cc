#include "client/token_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

namespace rooms::client {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{64} * 1024;
constexpr const char* kPrefix = "session-";
constexpr const char* kSuffix = ".json";

std::string Hex(const unsigned char* data, std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += kDigits[data[i] >> 4];
        out += kDigits[data[i] & 15];
    }
    return out;
}

/// The file name of a session: a digest, since nicknames may hold any character, '/' included.
std::string FileStem(const std::string& url, const std::string& nickname) {
    const std::string key = url + '\n' + nickname;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr);
    return kPrefix + Hex(digest, std::min(length, 16u));
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

/// Reads a whole small file through `fd`, refusing what others may read or write.
std::optional<std::string> ReadPrivate(int fd, const fs::path& path, std::string* warning) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
        if (warning) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
            *warning = "not using " + path.string() + ": mode " + mode +
                       (st.st_uid != ::geteuid() ? " and another owner" : "") +
                       " lets others read it; delete it (a new login writes it again with mode 0600)";
        }
        return std::nullopt;
    }
    std::string data;
    char buffer[4096];
    while (data.size() < kMaxFileBytes) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

std::optional<StoredSession> ParseSession(const std::string& data) {
    boost::system::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    auto get = [&o](std::string_view key) -> std::string {
        const json::value* f = o.if_contains(key);
        return f && f->is_string() ? std::string(f->get_string()) : std::string();
    };
    StoredSession s{get("url"), get("nickname"), get("refresh_token")};
    if (s.url.empty() || s.refresh_token.empty()) return std::nullopt;
    return s;
}

std::optional<StoredSession> LoadFile(const fs::path& path, std::string* warning) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    auto data = ReadPrivate(fd, path, warning);
    ::close(fd);
    return data ? ParseSession(*data) : std::nullopt;
}

bool WriteAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

TokenStore::TokenStore(fs::path dir) : dir_(std::move(dir)) {}

fs::path TokenStore::DefaultDir() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg == '/') return fs::path(xdg) / "rooms";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".config" / "rooms";
    return {};
}

fs::path TokenStore::PathFor(const std::string& url, const std::string& nickname) const {
    return dir_ / (FileStem(url, nickname) + kSuffix);
}

std::optional<StoredSession> TokenStore::Load(const std::string& url, const std::string& nickname,
                                              std::string* warning) const {
    auto s = LoadFile(PathFor(url, nickname), warning);
    if (!s || s->url != url || s->nickname != nickname) return std::nullopt;
    return s;
}

std::vector<std::string> TokenStore::Nicknames(const std::string& url) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) continue;
        if (auto s = LoadFile(it->path(), nullptr); s && s->url == url) out.push_back(s->nickname);
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool TokenStore::EnsureDir(std::string& error) const {
    if (dir_.empty()) {
        error = "no configuration directory: set XDG_CONFIG_HOME or HOME";
        return false;
    }
    std::error_code ec;
    if (dir_.has_parent_path()) fs::create_directories(dir_.parent_path(), ec);
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
        error = Errno("cannot create " + dir_.string());
        return false;
    }
    return true;
}

bool TokenStore::Save(const StoredSession& session, std::string& error) const {
    if (!EnsureDir(error)) return false;
    const fs::path target = PathFor(session.url, session.nickname);
    std::random_device random;
    const fs::path temp = dir_ / ("." + target.filename().string() + "." + std::to_string(::getpid()) + "." +
                                  std::to_string(random()) + ".tmp");
    // Created with mode 0600 from the start: the token is never readable by others, not even for a moment.
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = Errno("cannot create " + temp.string());
        return false;
    }
    const std::string data =
        json::serialize(json::object{
            {"url", session.url}, {"nickname", session.nickname}, {"refresh_token", session.refresh_token}}) +
        "\n";
    const bool written = WriteAll(fd, data) && ::fsync(fd) == 0;
    const int saved_errno = errno;
    ::close(fd);
    if (!written || ::rename(temp.c_str(), target.c_str()) != 0) {
        errno = written ? errno : saved_errno;
        error = Errno("cannot write " + target.string());
        ::unlink(temp.c_str());
        return false;
    }
    return true;
}

void TokenStore::Remove(const std::string& url, const std::string& nickname) const {
    ::unlink(PathFor(url, nickname).c_str());
}

std::optional<FileLock> TokenStore::TryLock(const std::string& url, const std::string& nickname) const {
    std::string error;
    if (!EnsureDir(error)) return std::nullopt;
    const fs::path path = dir_ / (FileStem(url, nickname) + ".lock");
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return std::nullopt;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    return FileLock(fd);
}

}  // namespace rooms::client
