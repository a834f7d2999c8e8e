#pragma once

#include <chrono>

#include "domain/types.h"

namespace rooms {

using MonotonicTime = std::chrono::steady_clock::time_point;

/// The one clock of the process (Envoy's TimeSource): wall time for what is stored and shown, monotonic time
/// for intervals. Injected wherever time decides something (rate limits, expiry, windows, waits), so tests can
/// simulate it (tests/support/simulated_time.h). Thread-safe.
class TimeSource {
  public:
    virtual ~TimeSource() = default;
    /// Wall-clock time, in microseconds (message times, token expiry).
    virtual TimePoint Now() const = 0;
    virtual MonotonicTime Monotonic() const = 0;
};

/// The real clocks.
class RealTimeSource final : public TimeSource {
  public:
    TimePoint Now() const override { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }
    MonotonicTime Monotonic() const override { return std::chrono::steady_clock::now(); }

    /// One shared instance: it holds no state.
    static TimeSource& Instance() {
        static RealTimeSource instance;
        return instance;
    }
};

}  // namespace rooms
