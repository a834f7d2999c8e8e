#include "http_client.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <cctype>
#include <sstream>

#include "client_transport.h"
#include "io_util.h"
#include "server_process.h"

namespace rooms_e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string HttpResponse::Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
}

boost::json::value HttpResponse::Json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) return nullptr;
    return v;
}

std::string HttpResponse::Describe() const {
    std::ostringstream os;
    os << "HTTP " << status;
    if (!error.empty()) os << " (transport error: " << error << ")";
    std::string b = body.size() > 600 ? body.substr(0, 600) + "...(" + std::to_string(body.size()) + " bytes)" : body;
    os << " body=" << b;
    return os.str();
}

HttpClient::HttpClient(unsigned short port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}

HttpResponse HttpClient::Request(http::verb method, const std::string& target, const std::string& body,
                                 const Headers& headers) const {
    http::request<http::string_body> req{method, PathPrefix() + target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    req.set(http::field::user_agent, "rooms-e2e");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == http::verb::post || method == http::verb::put || method == http::verb::patch) {
        req.body() = body;
        req.prepare_payload();
    }
    std::ostringstream os;
    os << req;
    return Raw(os.str());
}

HttpResponse HttpClient::PostJson(const std::string& target, const std::string& body, const Headers& headers) const {
    Headers h = headers;
    h.emplace_back("Content-Type", "application/json");
    return Request(http::verb::post, target, body, h);
}

HttpResponse HttpClient::Raw(const std::string& raw) const {
    HttpResponse out;
    asio::io_context ioc;
    const auto deadline = Clock::now() + timeout_;
    auto connected = ConnectTransport(ioc, port_, deadline, out.error, 0, source_address_);
    if (!connected) return out;
    rooms::Transport& stream = *connected;

    bool written = false, read = false;
    beast::error_code write_ec, read_ec;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    parser.header_limit(1u << 20);
    asio::async_write(stream, asio::buffer(raw), [&](beast::error_code ec, std::size_t) {
        write_ec = ec;
        written = true;
    });
    http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) {
        read_ec = ec;
        read = true;
    });
    bool ok = RunUntil(
        ioc, [&] { return read; }, deadline);
    // The response is read; give the write a moment to finish (or fail) before closing.
    if (ok && !written)
        RunUntil(
            ioc, [&] { return written; }, std::min(deadline, Clock::now() + std::chrono::milliseconds(200)));
    beast::error_code ignored;
    stream.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.Close();
    ioc.restart();
    ioc.run_for(std::chrono::seconds(1));  // drains the aborted operations

    if (!ok) {
        out.error = "timed out waiting for the response";
        return out;
    }
    if (read_ec) {
        out.error = "read: " + read_ec.message() + (write_ec ? " (write: " + write_ec.message() + ")" : "");
        return out;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        out.headers[name] = std::string(f.value());
    }
    return out;
}

}  // namespace rooms_e2e
