#pragma once

// A clock that moves only when a test says so (Envoy's SimulatedTimeSystem), for every component that takes a
// TimeSource.

#include <atomic>
#include <chrono>

#include "domain/time_source.h"

namespace rooms::test_support {

class SimulatedTime final : public TimeSource {
  public:
    /// Starts at an arbitrary instant far from zero (so "the start minus a window" is still a valid time).
    SimulatedTime()
        : monotonic_(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::hours(1000)).count()),
          wall_(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::hours(500'000)).count()) {}

    TimePoint Now() const override { return TimePoint(std::chrono::microseconds(wall_.load())); }
    MonotonicTime Monotonic() const override { return MonotonicTime(std::chrono::nanoseconds(monotonic_.load())); }

    /// Moves both clocks forward.
    template <typename Rep, typename Period>
    void Advance(std::chrono::duration<Rep, Period> d) {
        monotonic_ += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
        wall_ += std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    }
    /// Sets the monotonic clock (the wall clock moves by the same amount). Safe from several threads at once.
    void SetMonotonic(MonotonicTime t) {
        const std::int64_t to = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
        const std::int64_t from = monotonic_.exchange(to);
        wall_ += (to - from) / 1000;
    }

  private:
    std::atomic<std::int64_t> monotonic_;  // ns since the steady clock's epoch
    std::atomic<std::int64_t> wall_;       // µs since the Unix epoch
};

}  // namespace rooms::test_support
