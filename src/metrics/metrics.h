#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// prometheus-cpp is the adapter behind this port: its headers stay in metrics.cc, so no component includes them.
namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace rooms {

/// Label names to values of one series. Values must come from a small fixed set (a route pattern, a status, a
/// reason): never a user, room or connection id, so the number of series stays bounded.
using Labels = std::map<std::string, std::string>;

/// A handle to one series of a counter: it only goes up. Default-constructed it counts nothing, so a component built
/// without metrics (a unit test) needs no special case. Copyable; valid while the Metrics it came from lives.
/// Thread-safe, lock-free.
class Counter {
  public:
    Counter() = default;
    void Inc(double by = 1) const;

  private:
    friend class CounterFamily;
    explicit Counter(prometheus::Counter* c) : c_(c) {}
    prometheus::Counter* c_ = nullptr;
};

/// A handle to one series of a gauge: a value that goes up and down. As Counter: a no-op when default-constructed.
class Gauge {
  public:
    Gauge() = default;
    void Set(double value) const;
    void Inc(double by = 1) const;
    void Dec(double by = 1) const;

  private:
    friend class GaugeFamily;
    explicit Gauge(prometheus::Gauge* g) : g_(g) {}
    prometheus::Gauge* g_ = nullptr;
};

/// A handle to one series of a histogram (cumulative buckets, sum and count). As Counter: a no-op when
/// default-constructed. Observe takes a lock of its own series only.
class Histogram {
  public:
    Histogram() = default;
    void Observe(double value) const;

  private:
    friend class HistogramFamily;
    explicit Histogram(prometheus::Histogram* h) : h_(h) {}
    prometheus::Histogram* h_ = nullptr;
};

/// A metric name with its series, one per set of label values. With() finds or creates a series (a hash lookup under
/// the family's lock): take the handles a hot path needs once, or call With() only where the path is not hot.
class CounterFamily {
  public:
    CounterFamily() = default;
    Counter With(const Labels& labels) const;

  private:
    friend class Metrics;
    explicit CounterFamily(prometheus::Family<prometheus::Counter>* f) : f_(f) {}
    prometheus::Family<prometheus::Counter>* f_ = nullptr;
};

class GaugeFamily {
  public:
    GaugeFamily() = default;
    Gauge With(const Labels& labels) const;

  private:
    friend class Metrics;
    explicit GaugeFamily(prometheus::Family<prometheus::Gauge>* f) : f_(f) {}
    prometheus::Family<prometheus::Gauge>* f_ = nullptr;
};

class HistogramFamily {
  public:
    HistogramFamily() = default;
    Histogram With(const Labels& labels) const;

  private:
    friend class Metrics;
    HistogramFamily(prometheus::Family<prometheus::Histogram>* f, const std::vector<double>* buckets)
        : f_(f), buckets_(buckets) {}
    prometheus::Family<prometheus::Histogram>* f_ = nullptr;
    const std::vector<double>* buckets_ = nullptr;
};

/// Bucket bounds in seconds for request and write latencies: 0.5 ms to 10 s.
const std::vector<double>& LatencyBuckets();

/// The metrics of one process, served at /metrics in Prometheus's text format. The composition root builds one and
/// hands its families and handles to the components; nothing is global. Names follow Prometheus's conventions
/// (`rooms_` prefix, the unit in the name, `_total` for counters); registering a name again returns the same family
/// (the help must match), so two components may share one. Thread-safe.
class Metrics {
  public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    CounterFamily Counters(const std::string& name, const std::string& help);
    GaugeFamily Gauges(const std::string& name, const std::string& help);
    HistogramFamily Histograms(const std::string& name, const std::string& help, std::vector<double> buckets);

    Counter AddCounter(const std::string& name, const std::string& help, const Labels& labels = {}) {
        return Counters(name, help).With(labels);
    }
    Gauge AddGauge(const std::string& name, const std::string& help, const Labels& labels = {}) {
        return Gauges(name, help).With(labels);
    }
    Histogram AddHistogram(const std::string& name, const std::string& help, std::vector<double> buckets,
                           const Labels& labels = {}) {
        return Histograms(name, help, std::move(buckets)).With(labels);
    }

    /// A counter whose total another component keeps (a stats struct): `total` is read at every scrape and the
    /// counter advanced by what it grew since the last one. `total` runs under the scrape's lock, like OnScrape.
    void AddObservedCounter(const std::string& name, const std::string& help, std::function<double()> total,
                            const Labels& labels = {});
    /// A gauge set from `value` at every scrape (a queue length, a pool's connections in use).
    void AddObservedGauge(const std::string& name, const std::string& help, std::function<double()> value,
                          const Labels& labels = {});

    /// Runs `refresh` at the start of every scrape, on the scraping thread: for gauges whose value lives elsewhere
    /// (connection counts, pool sizes, /proc). It must be cheap and must not call Scrape. What it reads must outlive
    /// this Metrics, or the caller keeps scrapes from running after it is gone (the process stops its front first).
    void OnScrape(std::function<void()> refresh);

    /// Every metric in the text exposition format (version 0.0.4), after running the OnScrape callbacks; also
    /// records its own duration (rooms_metrics_scrape_duration_seconds). Blocks for the serialization (tens of
    /// microseconds to a few milliseconds): call it off the I/O threads.
    std::string Scrape();

  private:
    std::unique_ptr<prometheus::Registry> registry_;
    std::mutex mu_;  // guards refresh_, buckets_ and serializes scrapes
    std::vector<std::function<void()>> refresh_;
    std::deque<std::vector<double>> buckets_;  // a deque: HistogramFamily keeps pointers into it
    Histogram scrape_duration_;
};

}  // namespace rooms
