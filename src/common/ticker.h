#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rooms {

/// Calls `fn` every `period` on its own thread until destroyed (the destructor waits for a call under way). `fn`
/// must not throw.
class Ticker {
  public:
    Ticker(std::chrono::milliseconds period, std::function<void()> fn);
    ~Ticker();
    Ticker(const Ticker&) = delete;
    Ticker& operator=(const Ticker&) = delete;

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace rooms
