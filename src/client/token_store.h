#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rooms::client {

/// One saved login: the refresh token of `nickname` on the server at `url` (ServerUrl::Canonical()).
struct StoredSession {
    std::string url;
    std::string nickname;
    std::string refresh_token;
};

/// An exclusive advisory lock (flock) held until destroyed.
class FileLock {
  public:
    explicit FileLock(int fd) : fd_(fd) {}
    FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    ~FileLock();

  private:
    int fd_;
};

/// Refresh tokens on disk: one file per server URL and nickname in `dir` (mode 0700), each a JSON object
/// {"url","nickname","refresh_token"} of mode 0600. A file is never rewritten in place: a new token goes to
/// a temporary file created O_CREAT|O_EXCL with mode 0600, is synced, and renamed over the old one, so a crash
/// leaves the old token or the new one, never half of either. A file others can read or write, or not owned
/// by this user, is not used. Blocking file I/O of a few hundred bytes; safe to share between processes (see
/// TryLock), not between threads.
class TokenStore {
  public:
    explicit TokenStore(std::filesystem::path dir);

    /// $XDG_CONFIG_HOME/rooms, else $HOME/.config/rooms; empty when neither variable is set.
    static std::filesystem::path DefaultDir();

    /// The saved session, or nullopt (none, unreadable, or unsafe: `warning` then says why).
    std::optional<StoredSession> Load(const std::string& url, const std::string& nickname,
                                      std::string* warning = nullptr) const;
    /// The nicknames with a saved session on `url`, sorted.
    std::vector<std::string> Nicknames(const std::string& url) const;
    /// Replaces the session's file atomically. False with `error` when it could not be written.
    bool Save(const StoredSession& session, std::string& error) const;
    /// Deletes the session's file (no error when there is none).
    void Remove(const std::string& url, const std::string& nickname) const;
    /// Locks the session for a refresh, so that two clients of one user never spend the same single-use
    /// refresh token (the second would revoke the session). Never blocks: nullopt when another process holds it.
    std::optional<FileLock> TryLock(const std::string& url, const std::string& nickname) const;

    std::filesystem::path PathFor(const std::string& url, const std::string& nickname) const;
    const std::filesystem::path& dir() const { return dir_; }

  private:
    bool EnsureDir(std::string& error) const;

    std::filesystem::path dir_;
};

}  // namespace rooms::client
