#include "adapters/otlp/otlp_http_exporter.h"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>
#include <optional>
#include <stdexcept>

#include "common/throttled_log.h"
#include "http/asio.h"

namespace rooms {

struct OtlpHttpExporter::Impl {
    TraceResource resource;
    std::chrono::milliseconds timeout{};
    std::string host, port, path;
    asio::io_context io;
    std::optional<beast::tcp_stream> stream;  // the kept-alive connection; empty when there is none
    beast::flat_buffer buffer;
    ThrottledLog failures{std::chrono::seconds(30)};

    // One attempt on the kept-alive connection (a new one when there is none). Empty: delivered; else why not.
    asio::awaitable<std::string> Post(const Request& req) {
        if (!stream) {
            tcp::resolver resolver(io);
            auto [rec, endpoints] = co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
            if (rec) co_return "resolve " + host + ": " + rec.message();
            stream.emplace(io);
            stream->expires_after(timeout);
            auto [cec, ep] = co_await stream->async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
            if (cec) co_return "connect " + host + ":" + port + ": " + cec.message();
        }
        stream->expires_after(timeout);
        auto [wec, wn] = co_await http::async_write(*stream, req, asio::as_tuple(asio::use_awaitable));
        if (wec) co_return "send: " + wec.message();
        http::response<http::string_body> res;
        auto [rec, rn] = co_await http::async_read(*stream, buffer, res, asio::as_tuple(asio::use_awaitable));
        if (rec) co_return "answer: " + rec.message();
        if (!res.keep_alive()) Drop();
        if (res.result_int() / 100 != 2)
            co_return "status " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 200);
        co_return std::string();
    }

    void Drop() {
        if (!stream) return;
        beast::error_code ignored;
        stream->socket().close(ignored);
        stream.reset();
        buffer.clear();
    }

    std::string Run(const Request& req) {
        std::string why;
        asio::co_spawn(io, Post(req), [&why](const std::exception_ptr& e, std::string r) {
            why = e ? "internal error" : std::move(r);
        });
        io.restart();
        io.run();
        return why;
    }
};

OtlpHttpExporter::OtlpHttpExporter(const std::string& endpoint, TraceResource resource,
                                   std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
    auto url = boost::urls::parse_uri(endpoint);
    if (!url || url->scheme() != "http" || url->host().empty())
        throw std::invalid_argument("tracing.endpoint must be http://HOST:PORT/PATH, not \"" + endpoint + "\"");
    impl_->resource = std::move(resource);
    impl_->timeout = timeout;
    impl_->host = url->host();
    impl_->port = url->has_port() ? std::string(url->port()) : "80";
    impl_->path = url->encoded_path().empty() ? "/v1/traces" : std::string(url->encoded_path());
}

OtlpHttpExporter::~OtlpHttpExporter() = default;

bool OtlpHttpExporter::Export(const std::vector<SpanData>& spans) {
    Request req{http::verb::post, impl_->path, 11};
    req.set(http::field::host, impl_->host + ":" + impl_->port);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "rooms");
    req.keep_alive(true);
    req.body() = EncodeOtlpJson(impl_->resource, spans);
    req.prepare_payload();
    const bool reused = impl_->stream.has_value();
    std::string why = impl_->Run(req);
    if (!why.empty() && reused) {  // the collector may have closed the idle connection: once more on a new one
        impl_->Drop();
        why = impl_->Run(req);
    }
    if (why.empty()) return true;
    impl_->Drop();
    const std::string text = "tracing: could not export " + std::to_string(spans.size()) + " spans to http://" +
                             impl_->host + ":" + impl_->port + impl_->path + ": " + why;
    if (impl_->failures.ShouldLog(why)) spdlog::warn("{}", text);
    return false;
}

}  // namespace rooms
