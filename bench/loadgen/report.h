#pragma once

// What a run prints: one summary table on stdout and, with --json FILE, the same figures as one JSON object.
// Also the server-side figures read from /proc for every --server-pid: CPU time used during the run
// (utime + stime), RSS before and after, peak RSS (VmHWM).

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "histogram.h"

namespace rooms_bench {

class Report {
  public:
    explicit Report(std::string scenario) : scenario_(std::move(scenario)) {}

    /// Adds a row; `key` is the JSON name (snake_case), `unit` only shown in the table.
    void Add(const std::string& key, boost::json::value value, const std::string& unit = {});
    void Add(const std::string& key, const std::string& text) {
        Add(key, boost::json::value(boost::json::string(text)));
    }
    void Add(const std::string& key, const char* text) { Add(key, std::string(text)); }
    /// p50/p90/p99/p99.9/max/mean/count of a nanosecond histogram, as `<prefix>_p50_ms` and so on.
    void AddLatency(const std::string& prefix, const LatencyHistogram& h);

    /// The table, on stdout.
    void Print() const;
    /// Writes the JSON object to `path`; false (with a message on stderr) when it cannot.
    bool WriteJson(const std::string& path) const;

  private:
    struct Row {
        std::string key;
        boost::json::value value;
        std::string unit;
    };
    std::string scenario_;
    std::vector<Row> rows_;
};

/// One reading of a process's /proc files.
struct ProcSample {
    bool ok = false;
    double cpu_seconds = 0;    // utime + stime
    std::int64_t rss_kib = 0;  // VmRSS
    std::int64_t hwm_kib = 0;  // VmHWM (peak RSS)
    double at_seconds = 0;     // steady clock, when read
};

/// Reads /proc/PID/stat and /proc/PID/status. ok=false when the process is gone.
ProcSample ReadProc(int pid);

/// Samples every --server-pid at the start and end of the measured phase and adds their figures to a report.
class ServerStats {
  public:
    explicit ServerStats(std::vector<int> pids) : pids_(std::move(pids)) {}
    void Begin();
    void End();
    /// Adds server_<i>_cpu_s, _cpu_pct, _rss_before_kib, _rss_after_kib, _hwm_kib, and the totals.
    void AddTo(Report& report) const;
    const std::vector<int>& pids() const { return pids_; }
    /// The sum of VmRSS over the pids at the last Begin()/End().
    std::int64_t RssBeginKib() const;
    std::int64_t RssEndKib() const;
    /// CPU seconds (utime + stime) between Begin() and End(): the pids' total, and the bench's own.
    double CpuSecondsTotal() const;
    double BenchCpuSeconds() const { return self_cpu_end_ - self_cpu_begin_; }

  private:
    std::vector<int> pids_;
    std::vector<ProcSample> begin_, end_;
    double self_cpu_begin_ = 0, self_cpu_end_ = 0, wall_begin_ = 0, wall_end_ = 0;
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the new soft limit.
std::uint64_t RaiseFileLimit();

}  // namespace rooms_bench
