#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace rooms {

void Counter::Inc(double by) const {
    if (c_) c_->Increment(by);
}

void Gauge::Set(double value) const {
    if (g_) g_->Set(value);
}
void Gauge::Inc(double by) const {
    if (g_) g_->Increment(by);
}
void Gauge::Dec(double by) const {
    if (g_) g_->Decrement(by);
}

void Histogram::Observe(double value) const {
    if (h_) h_->Observe(value);
}

Counter CounterFamily::With(const Labels& labels) const { return f_ ? Counter(&f_->Add(labels)) : Counter(); }

Gauge GaugeFamily::With(const Labels& labels) const { return f_ ? Gauge(&f_->Add(labels)) : Gauge(); }

Histogram HistogramFamily::With(const Labels& labels) const {
    return f_ ? Histogram(&f_->Add(labels, *buckets_)) : Histogram();
}

const std::vector<double>& LatencyBuckets() {
    static const std::vector<double> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    return buckets;
}

Metrics::Metrics() : registry_(std::make_unique<prometheus::Registry>()) {
    scrape_duration_ = AddHistogram("rooms_metrics_scrape_duration_seconds",
                                    "Time this process took to collect and serialize one /metrics scrape.",
                                    {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1});
}

Metrics::~Metrics() = default;

CounterFamily Metrics::Counters(const std::string& name, const std::string& help) {
    return CounterFamily(&prometheus::BuildCounter().Name(name).Help(help).Register(*registry_));
}

GaugeFamily Metrics::Gauges(const std::string& name, const std::string& help) {
    return GaugeFamily(&prometheus::BuildGauge().Name(name).Help(help).Register(*registry_));
}

HistogramFamily Metrics::Histograms(const std::string& name, const std::string& help, std::vector<double> buckets) {
    auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
    std::lock_guard lock(mu_);
    buckets_.push_back(std::move(buckets));
    return HistogramFamily(&family, &buckets_.back());
}

void Metrics::OnScrape(std::function<void()> refresh) {
    std::lock_guard lock(mu_);
    refresh_.push_back(std::move(refresh));
}

void Metrics::AddObservedCounter(const std::string& name, const std::string& help, std::function<double()> total,
                                 const Labels& labels) {
    // Scrapes run one at a time, so `last` needs no lock of its own.
    OnScrape([counter = AddCounter(name, help, labels), total = std::move(total), last = 0.0]() mutable {
        const double now = total();
        if (now > last) counter.Inc(now - last);
        last = std::max(last, now);
    });
}

void Metrics::AddObservedGauge(const std::string& name, const std::string& help, std::function<double()> value,
                               const Labels& labels) {
    OnScrape([gauge = AddGauge(name, help, labels), value = std::move(value)] { gauge.Set(value()); });
}

std::string Metrics::Scrape() {
    const auto started = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    for (const auto& refresh : refresh_) refresh();
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_->Collect());
    scrape_duration_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return std::move(out).str();
}

}  // namespace rooms
