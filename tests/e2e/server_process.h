#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rooms_e2e {

/// A server the tests do not start: set ROOMS_E2E_BASE_URL=http://127.0.0.1:PORT[/PREFIX] to run the suites
/// against it (the cluster behind nginx: http://127.0.0.1:8080/api). Every request path and WebSocket
/// target gets PREFIX in front. ROOMS_E2E_DATA_DIR names the directory holding its jwt.key (for the tests
/// that forge tokens). Suites that start servers of their own settings are left out by the caller's filter.
/// https://HOST:PORT[/PREFIX] (HOST 127.0.0.1 or localhost) runs every request and WebSocket over TLS, verifying
/// the server's certificate for HOST against the CA certificates in ROOMS_E2E_CA_FILE (required then). The
/// connections still go to 127.0.0.1, and the HTTP Host header stays 127.0.0.1:PORT.
struct ExternalServer {
    unsigned short port = 0;
    std::string path_prefix;
    std::string data_dir;
    bool tls = false;
    std::string tls_host;  // the name the certificate must carry
    std::string ca_file;   // PEM CA certificates to verify it against
};
/// The external server from the environment, or nullopt (the tests start `rooms` themselves). Exits the
/// process with a message when ROOMS_E2E_BASE_URL is malformed.
const std::optional<ExternalServer>& External();
/// What goes in front of every request path: the external server's prefix, else "".
const std::string& PathPrefix();
/// A test's API prefix ("" for bare paths or "/api") as the server under test serves it. The external
/// server's base already is the API's root (nginx serves only /api/...), so both are "" there.
std::string ApiRoot(const std::string& test_prefix);

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
    bool external_ = false;  // External(): nothing to start or stop
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
