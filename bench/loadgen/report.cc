#include "report.h"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rooms_bench {

namespace json = boost::json;

void Report::Add(const std::string& key, json::value value, const std::string& unit) {
    rows_.push_back({key, std::move(value), unit});
}

void Report::AddLatency(const std::string& prefix, const LatencyHistogram& h) {
    auto ms = [](std::uint64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; };
    Add(prefix + "_count", h.Count());
    Add(prefix + "_p50_ms", ms(h.ValueAtPercentile(50)), "ms");
    Add(prefix + "_p90_ms", ms(h.ValueAtPercentile(90)), "ms");
    Add(prefix + "_p99_ms", ms(h.ValueAtPercentile(99)), "ms");
    Add(prefix + "_p999_ms", ms(h.ValueAtPercentile(99.9)), "ms");
    Add(prefix + "_max_ms", ms(h.Max()), "ms");
    Add(prefix + "_mean_ms", ms(static_cast<std::uint64_t>(h.Mean())), "ms");
}

namespace {

std::string Format(const json::value& v) {
    if (v.is_double()) {
        char buf[64];
        const double d = v.as_double();
        std::snprintf(buf, sizeof buf, std::fabs(d) >= 1000 ? "%.0f" : std::fabs(d) >= 10 ? "%.1f" : "%.3f", d);
        return buf;
    }
    if (v.is_string()) return std::string(v.as_string());
    return json::serialize(v);
}

}  // namespace

void Report::Print() const {
    std::size_t width = 10;
    for (const auto& r : rows_) width = std::max(width, r.key.size());
    std::ostringstream os;
    os << "== rooms-bench " << scenario_ << " ==\n";
    for (const auto& r : rows_) {
        os << "  " << r.key << std::string(width - r.key.size() + 2, ' ') << Format(r.value);
        if (!r.unit.empty()) os << " " << r.unit;
        os << "\n";
    }
    std::cout << os.str() << std::flush;
}

bool Report::WriteJson(const std::string& path) const {
    json::object o;
    o["scenario"] = scenario_;
    for (const auto& r : rows_) o[r.key] = r.value;
    std::ofstream f(path);
    if (!f) {
        std::cerr << "rooms-bench: cannot write " << path << "\n";
        return false;
    }
    f << json::serialize(o) << "\n";
    return static_cast<bool>(f);
}

ProcSample ReadProc(int pid) {
    ProcSample s;
    s.at_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) return s;
    // Fields after the command (which may hold spaces) start after the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return s;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // field 3 is the state
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    const long ticks = sysconf(_SC_CLK_TCK);
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stoll(line.substr(6));
        if (line.rfind("VmHWM:", 0) == 0) s.hwm_kib = std::stoll(line.substr(6));
    }
    s.ok = true;
    return s;
}

namespace {

double SelfCpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double WallSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void ServerStats::Begin() {
    self_cpu_begin_ = SelfCpuSeconds();
    wall_begin_ = WallSeconds();
    begin_.clear();
    for (int pid : pids_) begin_.push_back(ReadProc(pid));
}

void ServerStats::End() {
    self_cpu_end_ = SelfCpuSeconds();
    wall_end_ = WallSeconds();
    end_.clear();
    for (int pid : pids_) end_.push_back(ReadProc(pid));
}

std::int64_t ServerStats::RssBeginKib() const {
    std::int64_t sum = 0;
    for (const auto& s : begin_) sum += s.rss_kib;
    return sum;
}

std::int64_t ServerStats::RssEndKib() const {
    std::int64_t sum = 0;
    for (const auto& s : end_) sum += s.rss_kib;
    return sum;
}

double ServerStats::CpuSecondsTotal() const {
    double total = 0;
    for (std::size_t i = 0; i < begin_.size() && i < end_.size(); ++i)
        if (begin_[i].ok && end_[i].ok) total += end_[i].cpu_seconds - begin_[i].cpu_seconds;
    return total;
}

void ServerStats::AddTo(Report& report) const {
    double cpu_total = 0;
    for (std::size_t i = 0; i < pids_.size() && i < begin_.size() && i < end_.size(); ++i) {
        const auto& b = begin_[i];
        const auto& e = end_[i];
        const std::string p = "server_" + std::to_string(pids_[i]);
        if (!b.ok || !e.ok) {
            report.Add(p + "_error", "process not readable (gone?)");
            continue;
        }
        const double cpu = e.cpu_seconds - b.cpu_seconds;
        const double wall = e.at_seconds - b.at_seconds;
        cpu_total += cpu;
        report.Add(p + "_cpu_s", cpu, "s");
        report.Add(p + "_cpu_pct", wall > 0 ? 100.0 * cpu / wall : 0.0, "% of one core");
        report.Add(p + "_rss_before_kib", b.rss_kib, "KiB");
        report.Add(p + "_rss_after_kib", e.rss_kib, "KiB");
        report.Add(p + "_peak_rss_kib", e.hwm_kib, "KiB");
    }
    if (!pids_.empty()) report.Add("server_cpu_s_total", cpu_total, "s");
    // The bench shares the machine: its own CPU shows when it, not the server, is the bottleneck.
    const double wall = wall_end_ - wall_begin_;
    report.Add("bench_cpu_s", self_cpu_end_ - self_cpu_begin_, "s");
    report.Add("bench_cpu_pct", wall > 0 ? 100.0 * (self_cpu_end_ - self_cpu_begin_) / wall : 0.0, "% of one core");
    double load[1] = {0};
    if (getloadavg(load, 1) == 1) report.Add("load_avg_1m", load[0]);
}

std::uint64_t RaiseFileLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return lim.rlim_cur;
}

}  // namespace rooms_bench
