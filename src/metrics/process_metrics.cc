#include "metrics/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <vector>

namespace rooms {

std::optional<ProcessStats> ParseProcStat(const std::string& stat, long ticks_per_second, long page_bytes) {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos || ticks_per_second <= 0) return std::nullopt;
    std::istringstream in(stat.substr(close + 1));
    std::vector<std::string> fields{std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
    // fields[0] is field 3 (state), so field N is fields[N - 3].
    constexpr std::size_t kUtime = 14 - 3, kStime = 15 - 3, kThreads = 20 - 3, kRss = 24 - 3;
    if (fields.size() <= kRss) return std::nullopt;
    try {
        ProcessStats s;
        s.cpu_seconds = static_cast<double>(std::stoull(fields[kUtime]) + std::stoull(fields[kStime])) /
                        static_cast<double>(ticks_per_second);
        s.threads = static_cast<double>(std::stoll(fields[kThreads]));
        s.resident_bytes = static_cast<double>(std::stoll(fields[kRss])) * static_cast<double>(page_bytes);
        return s;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<ProcessStats> ReadProcessStats() {
    std::ifstream file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto stats = ParseProcStat(stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
    if (!stats) return std::nullopt;
    std::error_code ec;
    std::size_t fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != decltype(it)();
         it.increment(ec))
        ++fds;
    stats->open_fds = static_cast<double>(fds > 0 ? fds - 1 : 0);  // less the directory iterator's own
    return stats;
}

void AddProcessMetrics(Metrics& metrics) {
    // One read of /proc per scrape, shared by the four series (the first of them reads it).
    auto latest = std::make_shared<ProcessStats>();
    metrics.OnScrape([latest] {
        if (auto s = ReadProcessStats()) *latest = *s;
    });
    metrics.AddObservedCounter("rooms_process_cpu_seconds_total", "User and system CPU time of the process.",
                               [latest] { return latest->cpu_seconds; });
    metrics.AddObservedGauge("rooms_process_resident_memory_bytes", "Resident memory of the process.",
                             [latest] { return latest->resident_bytes; });
    metrics.AddObservedGauge("rooms_process_threads", "Threads of the process.", [latest] { return latest->threads; });
    metrics.AddObservedGauge("rooms_process_open_fds", "Open file descriptors of the process.",
                             [latest] { return latest->open_fds; });
}

}  // namespace rooms
