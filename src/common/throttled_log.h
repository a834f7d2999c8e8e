#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace rooms {

/// Logs at most once per `interval` for the same text, so a service that stays down does not flood the log.
/// Thread-safe.
class ThrottledLog {
  public:
    explicit ThrottledLog(std::chrono::seconds interval) : interval_(interval) {}
    /// True when the caller should log `text` now.
    bool ShouldLog(const std::string& text);

  private:
    std::mutex mu_;
    std::chrono::seconds interval_;
    std::string last_text_;
    std::chrono::steady_clock::time_point last_time_{};
};

}  // namespace rooms
