// The Centrifugo driver: Centrifugo's JSON client protocol (v2) over its WebSocket endpoint. No HTTP set-up: a
// user is the `sub` of an HS256 connection token the bench signs with the secret the server was configured
// with, a room is a channel (`bench_<tag>_<i>`, top level: the server must allow client-side subscribe and
// publish there). On the wire, one command per line:
//   {"id":1,"connect":{"token":"<jwt>"}}  {"id":2,"subscribe":{"channel":"<ch>"}}   sent together in one frame
//   {"id":N,"publish":{"channel":"<ch>","data":{"content":"bench ..."}}}          a publish (N > 2)
// and back, possibly several per frame, '\n'-separated: replies {"id":N,...} ({"id":N,"error":{...}} on
// failure), pushes {"push":{"channel":"<ch>","pub":{"data":{"content":"bench ..."},...}}}, and the server's
// ping {}, which the client must answer with {} (or be disconnected after the pong timeout).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "driver.h"

namespace rooms_bench {

namespace {

constexpr std::int64_t kSetupCommands = 2;  // connect (id 1) and subscribe (id 2); publishes come after

std::string Base64Url(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const auto v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == in.size()) {
        const auto v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
    } else if (i + 2 == in.size()) {
        const auto v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
    }
    return out;
}

/// An HS256 connection token for `user`, valid for a day.
std::string ConnectionToken(const std::string& secret, const std::string& user) {
    const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(24))
                         .count();
    const std::string signing_input = Base64Url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                                      Base64Url(R"({"sub":")" + user + R"(","exp":)" + std::to_string(exp) + "}");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len))
        throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
    return signing_input + "." + Base64Url(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

class CentrifugoDriver final : public Driver {
  public:
    explicit CentrifugoDriver(const CommonOptions& common)
        : target_(Target::Parse(common.url, "")), path_(common.centrifugo_path), secret_(common.centrifugo_secret) {
        if (secret_.empty()) {
            const char* env = std::getenv("ROOMS_BENCH_CENTRIFUGO_SECRET");
            if (env) secret_ = env;
        }
        if (secret_.empty())
            throw std::runtime_error(
                "centrifugo: no token secret: pass --centrifugo-secret or set ROOMS_BENCH_CENTRIFUGO_SECRET to the "
                "server's client.token.hmac_secret_key");
    }

    void Prepare(int users, int rooms, const std::string& label) override {
        const std::string tag = "_" + RunTag() + "_";
        tokens_.clear();
        channels_.clear();
        for (int u = 0; u < users; ++u) tokens_.push_back(ConnectionToken(secret_, "bench" + tag + std::to_string(u)));
        for (int r = 0; r < rooms; ++r) channels_.push_back(label + tag + std::to_string(r));
    }

    asio::awaitable<std::string> Open(WsStream& ws, int room, int user,
                                      const std::optional<asio::ip::address>& source) override {
        std::string err = co_await ConnectWebSocket(ws, target_, path_, source);
        if (!err.empty()) co_return err;
        const std::string frame = R"({"id":1,"connect":{"token":")" + tokens_[static_cast<std::size_t>(user)] +
                                  R"("}})"
                                  "\n"
                                  R"({"id":2,"subscribe":{"channel":")" +
                                  channels_[static_cast<std::size_t>(room)] + R"("}})";
        beast::error_code ec;
        co_await ws.async_write(asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return "connect command: " + ec.message();
        co_return std::string{};
    }

    asio::awaitable<std::string> AwaitJoined(WsStream& ws, beast::flat_buffer& buffer) override {
        for (;;) {
            beast::error_code ec;
            buffer.clear();
            co_await ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return "subscribe: " + ec.message();
            const auto data = buffer.cdata();
            std::string failure;
            bool subscribed = false;
            ForEachLine(std::string_view(static_cast<const char*>(data.data()), data.size()),
                        [&](std::string_view line) {
                            if (Classify(line) == LineKind::kError && failure.empty())
                                failure = std::string(line.substr(0, 200));
                            if (line.starts_with(R"({"id":2,)")) subscribed = true;
                        });
            if (!failure.empty()) co_return "centrifugo: " + failure;
            if (subscribed) co_return std::string{};
        }
    }

    void EncodePublish(int room, std::int64_t seq, std::string_view content, std::string& out) const override {
        out.assign(R"({"id":)");
        out += std::to_string(seq + kSetupCommands + 1);
        out += R"(,"publish":{"channel":")";
        out += channels_[static_cast<std::size_t>(room)];
        out += R"(","data":{"content":")";
        out += content;
        out += R"("}}})";
    }

    LineKind Classify(std::string_view line) const override {
        if (line == "{}") return LineKind::kPing;
        if (line.find(R"("error":)") != std::string_view::npos ||
            line.find(R"("disconnect":)") != std::string_view::npos)
            return LineKind::kError;
        return LineKind::kOther;
    }

    std::string_view PingReply() const override { return "{}"; }

  private:
    Target target_;
    std::string path_;
    std::string secret_;
    std::vector<std::string> tokens_;
    std::vector<std::string> channels_;
};

}  // namespace

std::unique_ptr<Driver> MakeCentrifugoDriver(const CommonOptions& common) {
    return std::make_unique<CentrifugoDriver>(common);
}

}  // namespace rooms_bench
