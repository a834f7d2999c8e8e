#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace rooms_e2e {

/// Runs the `rooms` binary under test: `rooms serve --listen 127.0.0.1:PORT --data-dir DIR`, with a fresh
/// temporary data directory, extra ROOMS_* environment variables and stderr/stdout captured in DIR/server.log.
/// Inherited ROOMS_* variables are dropped so a developer's environment cannot change the tests.
class ServerProcess {
public:
    explicit ServerProcess(std::map<std::string, std::string> env = {});
    ~ServerProcess();  // kills a server still running and removes the data directory (unless Keep() or
                       // $ROOMS_E2E_KEEP is set)

    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// Starts the server on a new free port (the data directory is kept across restarts) and waits up to
    /// `ready_timeout` for GET /healthz to answer 200. Returns an empty string on success, else the reason
    /// (with the log's tail).
    std::string Start(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

    /// Sends `signal` and waits up to `timeout` for the process to exit. Returns its exit status (0..255),
    /// 128+N when killed by signal N, or -1 when it had to be killed with SIGKILL after the timeout.
    int Stop(int signal = 15 /*SIGTERM*/, std::chrono::milliseconds timeout = std::chrono::seconds(15));

    /// Waits up to `timeout` for the process to exit by itself (after a signal sent with Signal()). Returns
    /// as Stop() does, except that it does not kill: -1 when still running.
    int Wait(std::chrono::milliseconds timeout);

    /// Sends `signal` without waiting.
    void Signal(int signal);

    /// SIGKILL and reap; no-op when not running.
    void Kill();

    /// True while the process has not exited (reaps it if it has).
    bool Alive();

    unsigned short port() const { return port_; }
    const std::string& data_dir() const { return data_dir_; }
    std::string log_path() const { return data_dir_ + "/server.log"; }
    std::string base_url() const;
    pid_t pid() const { return pid_; }

    /// The last `max_lines` lines of the server's log.
    std::string LogTail(std::size_t max_lines = 60) const;

    /// Keep the data directory after the test (for a post-mortem).
    void Keep() { keep_ = true; }

    void SetEnv(const std::string& key, const std::string& value) { env_[key] = value; }

private:
    bool Reap(bool block);

    std::map<std::string, std::string> env_;
    std::string data_dir_;
    unsigned short port_ = 0;
    pid_t pid_ = -1;
    int exit_status_ = -1;
    bool keep_ = false;
};

/// A TCP port on 127.0.0.1 free at the time of the call.
unsigned short FreeLoopbackPort();

/// The path of the binary under test: $ROOMS_E2E_BINARY if set, else the compiled-in ROOMS_BINARY.
std::string RoomsBinary();

}  // namespace rooms_e2e
