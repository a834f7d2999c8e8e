// The Rooms driver: accounts and rooms through the HTTP API (docs/API.md), one WebSocket per member at
// /chat/rooms/{id}; a publish is the message's text as one frame; the server's pings are WebSocket control frames
// (Beast answers them inside async_read), so no line is ever a ping.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include "driver.h"

namespace rooms_bench {

namespace {

class RoomsDriver final : public Driver {
  public:
    explicit RoomsDriver(const CommonOptions& common) : target_(Target::Parse(common.url, common.api_prefix)) {}

    void Prepare(int users, int rooms, const std::string& label) override {
        const std::string tag = RunTag();
        sessions_ = RegisterAndLogin(target_, "bench_" + tag + "_", users);
        room_ids_ = CreateRooms(target_, sessions_[0].access_token, label + " " + tag + " ", rooms, 16);
    }

    asio::awaitable<std::string> Open(WsStream& ws, int room, int user,
                                      const std::optional<asio::ip::address>& source) override {
        const std::string path =
            target_.Path("/chat/rooms/" + std::to_string(room_ids_[static_cast<std::size_t>(room)])) +
            "?access_token=" + sessions_[static_cast<std::size_t>(user)].access_token;
        co_return co_await ConnectWebSocket(ws, target_, path, source);
    }

    asio::awaitable<std::string> AwaitJoined(WsStream& ws, beast::flat_buffer& buffer) override {
        beast::error_code ec;
        buffer.clear();
        co_await ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
        co_return ec ? "history: " + ec.message() : std::string{};
    }

    void EncodePublish(int, std::int64_t, std::string_view content, std::string& out) const override {
        out.assign(content);
    }

    LineKind Classify(std::string_view line) const override {
        return line.find("\"type\":\"error\"") != std::string_view::npos ? LineKind::kError : LineKind::kOther;
    }

  private:
    Target target_;
    std::vector<Session> sessions_;
    std::vector<std::int64_t> room_ids_;
};

}  // namespace

std::unique_ptr<Driver> MakeRoomsDriver(const CommonOptions& common) { return std::make_unique<RoomsDriver>(common); }

}  // namespace rooms_bench
