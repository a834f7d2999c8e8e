#pragma once

// Common Asio/Beast names for the ports layer.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast.hpp>
#include <exception>
#include <optional>
#include <type_traits>

namespace rooms {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

/// A `co_spawn` completion for a coroutine nobody awaits: logs (at error) what it threw, prefixed with `what`.
/// (Defined in transport.cc.)
struct LogThrown {
    const char* what;
    void operator()(const std::exception_ptr& e) const;
};

/// Runs blocking `fn` on `pool` and resumes the calling coroutine on its own executor with the result.
/// Exceptions from `fn` are rethrown in the caller.
template <typename Pool, typename Fn>
asio::awaitable<std::invoke_result_t<Fn>> RunBlocking(Pool& pool, Fn fn) {
    using R = std::invoke_result_t<Fn>;
    using Value = std::conditional_t<std::is_void_v<R>, bool, R>;
    auto initiation = [&pool](auto handler, Fn fn) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(pool, [handler = std::move(handler), fn = std::move(fn), work = std::move(work)]() mutable {
            std::exception_ptr error;
            std::optional<Value> result;
            try {
                if constexpr (std::is_void_v<R>) {
                    fn();
                    result.emplace(true);
                } else {
                    result.emplace(fn());
                }
            } catch (...) {
                error = std::current_exception();
            }
            auto executor = work.get_executor();
            asio::dispatch(executor, [handler = std::move(handler), error, result = std::move(result)]() mutable {
                std::move(handler)(error, std::move(result));
            });
        });
    };
    std::optional<Value> result =
        co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, std::optional<Value>)>(
            initiation, asio::use_awaitable, std::move(fn));
    if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace rooms
