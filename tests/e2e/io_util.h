#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace rooms_e2e {

using Clock = std::chrono::steady_clock;

/// Runs handlers of `ioc` until `done()` holds or `deadline` passes. Returns done(). Never blocks past the
/// deadline, so no test can hang on a network operation.
template <typename Done>
bool RunUntil(boost::asio::io_context& ioc, Done&& done, Clock::time_point deadline) {
    ioc.restart();
    while (!done()) {
        if (Clock::now() >= deadline) return false;
        if (ioc.run_one_until(deadline) == 0 && ioc.stopped()) {
            // Out of work: nothing can change done() any more.
            return done();
        }
    }
    return true;
}

}  // namespace rooms_e2e
