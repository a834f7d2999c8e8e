#pragma once

// A one-shot broadcast for coroutines on one executor: Wait() suspends until Set(). Not thread-safe.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rooms::client::impl {

class Signal {
  public:
    explicit Signal(const boost::asio::any_io_executor& executor)
        : timer_(executor, boost::asio::steady_timer::time_point::max()) {}

    boost::asio::awaitable<void> Wait() {
        if (set_) co_return;
        co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    void Set() {
        set_ = true;
        timer_.cancel();
    }
    bool is_set() const { return set_; }

  private:
    boost::asio::steady_timer timer_;
    bool set_ = false;
};

/// Sleeps for `delay` unless `timer` is cancelled first. True when the whole delay passed.
inline boost::asio::awaitable<bool> Sleep(boost::asio::steady_timer& timer, std::chrono::milliseconds delay) {
    timer.expires_after(delay);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
}

}  // namespace rooms::client::impl
