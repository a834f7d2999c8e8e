#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_client.h"

extern char** environ;

namespace rooms_e2e {

namespace fs = std::filesystem;

unsigned short FreeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string RoomsBinary() {
    if (const char* b = std::getenv("ROOMS_E2E_BINARY"); b && *b) return b;
    return ROOMS_BINARY;
}

const std::optional<ExternalServer>& External() {
    static const std::optional<ExternalServer> external = []() -> std::optional<ExternalServer> {
        const char* url = std::getenv("ROOMS_E2E_BASE_URL");
        if (!url || !*url) return std::nullopt;
        const std::string u(url);
        ExternalServer ext;
        std::string scheme;
        for (const char* candidate : {"http://127.0.0.1:", "https://127.0.0.1:", "https://localhost:"}) {
            if (u.rfind(candidate, 0) == 0) scheme = candidate;
        }
        ext.tls = scheme.rfind("https", 0) == 0;
        if (ext.tls) ext.tls_host = scheme.substr(8, scheme.size() - 9);
        std::size_t end = scheme.size();
        while (end < u.size() && std::isdigit(static_cast<unsigned char>(u[end]))) ++end;
        const int port = !scheme.empty() && end > scheme.size() && end - scheme.size() <= 5
                             ? std::stoi(u.substr(scheme.size(), end - scheme.size()))
                             : 0;
        ext.path_prefix = u.substr(end);
        while (!ext.path_prefix.empty() && ext.path_prefix.back() == '/') ext.path_prefix.pop_back();
        if (port <= 0 || port > 65535 || (!ext.path_prefix.empty() && ext.path_prefix[0] != '/')) {
            std::cerr << "ROOMS_E2E_BASE_URL must look like http://127.0.0.1:PORT[/PREFIX] or "
                         "https://{127.0.0.1|localhost}:PORT[/PREFIX], not "
                      << u << "\n";
            std::exit(2);
        }
        if (const char* ca = std::getenv("ROOMS_E2E_CA_FILE")) ext.ca_file = ca;
        if (ext.tls && ext.ca_file.empty()) {
            std::cerr << "ROOMS_E2E_BASE_URL is https: set ROOMS_E2E_CA_FILE to the CA certificates (PEM) that "
                         "issued the server's certificate\n";
            std::exit(2);
        }
        ext.port = static_cast<unsigned short>(port);
        if (const char* d = std::getenv("ROOMS_E2E_DATA_DIR")) ext.data_dir = d;
        return ext;
    }();
    return external;
}

const std::string& PathPrefix() {
    static const std::string prefix = External() ? External()->path_prefix : std::string();
    return prefix;
}

std::string ApiRoot(const std::string& test_prefix) { return External() ? std::string() : test_prefix; }

ServerProcess::ServerProcess(std::map<std::string, std::string> env) : env_(std::move(env)) {
    // Join/leave notices at once and unlimited, unless a suite asks otherwise: the suites read a leave right after a
    // close and reconnect as the same user at once, expecting a join notice each time. PresenceStormTest runs the
    // defaults (a 3 s grace, 0.5 notices a second).
    env_.try_emplace("ROOMS_CHAT_PRESENCE_GRACE_MS", "0");
    env_.try_emplace("ROOMS_CHAT_USER_NOTICES_PER_S", "0");
    if (External()) {
        external_ = true;
        keep_ = true;  // not ours
        data_dir_ = External()->data_dir;
        return;
    }
    std::string tmpl = (fs::temp_directory_path() / "rooms-e2e-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    data_dir_ = tmpl;
}

ServerProcess::~ServerProcess() {
    Kill();
    // $ROOMS_E2E_LOG_DIR collects every server's log (scripts/test.sh searches them for secrets).
    if (const char* logs = std::getenv("ROOMS_E2E_LOG_DIR"); logs && *logs && !external_ && !data_dir_.empty()) {
        std::error_code ec;
        fs::create_directories(logs, ec);
        fs::copy_file(log_path(), fs::path(logs) / (fs::path(data_dir_).filename().string() + ".log"),
                      fs::copy_options::overwrite_existing, ec);
    }
    const char* keep_env = std::getenv("ROOMS_E2E_KEEP");  // set to keep every data directory (debugging)
    if (!keep_ && !(keep_env && *keep_env) && !data_dir_.empty()) {
        std::error_code ec;
        fs::remove_all(data_dir_, ec);
    }
}

std::string ServerProcess::base_url() const {
    if (External() && External()->tls)
        return "https://" + External()->tls_host + ":" + std::to_string(port_) + PathPrefix();
    return "http://127.0.0.1:" + std::to_string(port_) + PathPrefix();
}

bool ServerProcess::Reap(bool block) {
    if (pid_ <= 0) return true;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
        if (WIFEXITED(status))
            exit_status_ = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            exit_status_ = 128 + WTERMSIG(status);
        pid_ = -1;
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        pid_ = -1;
        return true;
    }
    return false;
}

bool ServerProcess::Alive() { return external_ || (pid_ > 0 && !Reap(false)); }

std::string ServerProcess::Start(std::chrono::milliseconds ready_timeout) {
    if (external_) {
        port_ = External()->port;
        HttpClient client(port_, std::chrono::milliseconds(2000));
        const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
        HttpResponse res;
        do {
            res = client.Get("/healthz");
            if (res.status == 200) return {};
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } while (std::chrono::steady_clock::now() < deadline);
        return "the external server at " + base_url() + " did not answer GET " + PathPrefix() +
               "/healthz: " + res.Describe();
    }
    if (Alive()) return "already running";
    const std::string binary = RoomsBinary();
    if (::access(binary.c_str(), X_OK) != 0)
        return "the server binary " + binary + " does not exist or is not executable";

    port_ = FreeLoopbackPort();
    exit_status_ = -1;

    // Everything the child needs is prepared before fork(): after it only async-signal-safe calls are made.
    std::vector<std::string> args = {binary,       "serve",  "--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir", data_dir_};
    std::vector<std::string> envs;
    for (char** e = environ; e && *e; ++e) {
        std::string kv(*e);
        if (kv.rfind("ROOMS_", 0) == 0) continue;  // the developer's settings must not leak into the tests
        envs.push_back(kv);
    }
    for (const auto& [k, v] : env_) envs.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string log = log_path();
    const pid_t parent = ::getpid();

    pid_t pid = ::fork();
    if (pid < 0) return "fork: " + std::string(std::strerror(errno));
    if (pid == 0) {
        // The server must not outlive the test process (a ctest timeout kills us with SIGKILL).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
        }
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    pid_ = pid;

    const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    HttpClient client(port_, std::chrono::milliseconds(500));
    while (std::chrono::steady_clock::now() < deadline) {
        if (!Alive()) {
            return "the server exited with status " + std::to_string(exit_status_) + " before it was ready; log:\n" +
                   LogTail();
        }
        auto res = client.Get("/healthz");
        if (res.status == 200) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Kill();
    return "the server did not answer GET /healthz with 200 within " + std::to_string(ready_timeout.count()) +
           " ms; log:\n" + LogTail();
}

void ServerProcess::Signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
}

int ServerProcess::Wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (Reap(false)) return exit_status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Reap(false) ? exit_status_ : -1;
}

int ServerProcess::Stop(int signal, std::chrono::milliseconds timeout) {
    if (external_) return 0;  // not ours to stop
    if (pid_ <= 0) return exit_status_;
    Signal(signal);
    int status = Wait(timeout);
    if (status == -1 && pid_ > 0) Kill();
    return status;
}

void ServerProcess::Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    Reap(true);
}

std::string ServerProcess::LogTail(std::size_t max_lines) const {
    if (external_) return "(an external server at " + base_url() + ": see its own logs)\n";
    std::ifstream in(log_path());
    std::deque<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
        if (lines.size() > max_lines) lines.pop_front();
    }
    std::ostringstream os;
    os << "----- " << log_path() << " (last " << lines.size() << " lines) -----\n";
    for (const auto& l : lines) os << l << "\n";
    return os.str();
}

}  // namespace rooms_e2e
