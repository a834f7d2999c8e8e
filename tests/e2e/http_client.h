#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rooms_e2e {

namespace http = boost::beast::http;

struct HttpResponse {
    int status = 0;  // 0: no response (see error)
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string error;                           // transport error, empty when a response was read

    bool HasHeader(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
    std::string Header(const std::string& lower_name) const;
    /// The body parsed as JSON; a null value when it is not JSON.
    boost::json::value Json() const;
    /// Human-readable summary for assertion messages: status, error and (truncated) body.
    std::string Describe() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

/// A blocking HTTP/1.1 client for 127.0.0.1:port. Each request uses a fresh connection and is bounded by the
/// timeout (connect, write and read together). The request is written while the response is read, so a
/// server that answers early (413) and closes is seen answering.
class HttpClient {
  public:
    explicit HttpClient(unsigned short port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

    HttpResponse Request(http::verb method, const std::string& target, const std::string& body = {},
                         const Headers& headers = {}) const;
    HttpResponse Get(const std::string& target, const Headers& headers = {}) const {
        return Request(http::verb::get, target, {}, headers);
    }
    /// POST with Content-Type: application/json.
    HttpResponse PostJson(const std::string& target, const std::string& body, const Headers& headers = {}) const;

    /// Sends `raw` bytes as they are (a hand-written request) and reads one response.
    HttpResponse Raw(const std::string& raw) const;

    unsigned short port() const { return port_; }
    /// Connect from this local address (e.g. 127.0.0.2) rather than the system's choice.
    void SetSourceAddress(std::string address) { source_address_ = std::move(address); }

  private:
    unsigned short port_;
    std::chrono::milliseconds timeout_;
    std::string source_address_;
};

}  // namespace rooms_e2e
