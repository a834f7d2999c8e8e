#include "common/ticker.h"

namespace rooms {

Ticker::Ticker(std::chrono::milliseconds period, std::function<void()> fn)
    : thread_([this, period, fn = std::move(fn)] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
              lock.unlock();
              fn();
              lock.lock();
          }
      }) {}

Ticker::~Ticker() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

}  // namespace rooms
