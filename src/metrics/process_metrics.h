#pragma once

#include <optional>
#include <string>

#include "metrics/metrics.h"

namespace rooms {

/// What /proc says about this process.
struct ProcessStats {
    double cpu_seconds = 0;  // user + system
    double resident_bytes = 0;
    double threads = 0;
    double open_fds = 0;
};

/// Parses the text of /proc/<pid>/stat (proc(5)): fields 14-15 (utime, stime, in clock ticks), 20 (threads) and 24
/// (resident pages). nullopt when it is malformed. Pure, for tests.
std::optional<ProcessStats> ParseProcStat(const std::string& stat, long ticks_per_second, long page_bytes);

/// This process's stats from /proc/self (stat and fd/); nullopt when /proc cannot be read.
std::optional<ProcessStats> ReadProcessStats();

/// Registers rooms_process_cpu_seconds_total, rooms_process_resident_memory_bytes, rooms_process_threads and
/// rooms_process_open_fds, read from /proc/self at every scrape (one read of stat and of fd/, a few tens of
/// microseconds).
void AddProcessMetrics(Metrics& metrics);

}  // namespace rooms
