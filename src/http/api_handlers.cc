#include "http/api_handlers.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "common/text.h"
#include "http/compression.h"
#include "http/json_codec.h"
#include "http/responses.h"

namespace rooms {

namespace {

json::object TokensToJson(const TokenPair& t) {
    return json::object{{"nickname", t.nickname},
                        {"user_id", std::to_string(t.user_id)},
                        {"access_token", t.access_token},
                        {"refresh_token", t.refresh_token}};
}

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 100;
constexpr int kDefaultRoomsPage = 100;

/// A weak validator of the room list: weak, because one list has two representations (gzip or not).
std::string RoomListTag(const RoomListVersion& v) {
    return "W/\"rooms-" + std::to_string(v.count) + "-" + std::to_string(v.max_id) + "\"";
}

/// If-None-Match holds `tag` (by the weak comparison of RFC 9110 §8.8.3.2) or `*`.
bool NoneMatchHolds(std::string_view if_none_match, std::string_view tag) {
    const auto opaque = [](std::string_view t) {
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
        if (t.starts_with("W/")) t.remove_prefix(2);
        return t;
    };
    const std::string_view want = opaque(tag);
    while (!if_none_match.empty()) {
        const auto comma = if_none_match.find(',');
        const std::string_view one = opaque(if_none_match.substr(0, comma));
        if (one == "*" || one == want) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

ApiHandlers::ApiHandlers(AuthService& auth, RoomService& rooms, ChatService& chat, asio::thread_pool& store_pool,
                         asio::thread_pool& hash_pool, ApiLimits limits, HashPoolMetrics hash_metrics)
    : auth_(auth),
      rooms_(rooms),
      chat_(chat),
      store_pool_(store_pool),
      hash_pool_(hash_pool),
      limits_(limits),
      hash_metrics_(hash_metrics) {}

HashPoolMetrics HashPoolMetrics::From(Metrics& metrics) {
    return HashPoolMetrics{
        metrics.AddGauge("rooms_auth_hash_queue", "Register and login calls waiting for a password-hash thread."),
        metrics.AddHistogram("rooms_auth_hash_queue_wait_seconds",
                             "Time a register or login call waited for a password-hash thread.", LatencyBuckets()),
    };
}

template <typename Fn>
asio::awaitable<std::invoke_result_t<Fn>> ApiHandlers::OnHashPool(Fn fn) {
    hash_metrics_.queued.Inc();
    const auto queued_at = std::chrono::steady_clock::now();
    co_return co_await RunBlocking(hash_pool_, [this, queued_at, fn = std::move(fn)]() mutable {
        hash_metrics_.queued.Dec();
        hash_metrics_.wait.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - queued_at).count());
        return fn();
    });
}

Response ApiHandlers::Ok(const RequestContext& ctx, const json::value& body) const {
    Response res = JsonResponse(http::status::ok, json::serialize(body));
    CompressIfAccepted(ctx.request, res, static_cast<std::size_t>(limits_.gzip_min_bytes));
    return res;
}

void ApiHandlers::Register(Router& router) {
    auto bind = [this](auto method) { return [this, method](RequestContext& ctx) { return (this->*method)(ctx); }; };
    using V = http::verb;
    const RouteFlags open{.rate_limited = true, .json_body = true};
    const RouteFlags authed{.rate_limited = true, .auth = true};
    const RouteFlags authed_json{.rate_limited = true, .auth = true, .json_body = true};
    const RouteFlags room{.rate_limited = true, .auth = true, .room = true};
    const RouteFlags room_socket{.rate_limited = true, .auth = true, .room = true, .websocket = true};
    router.Add(V::post, "/user/register", open, bind(&ApiHandlers::RegisterUser));
    router.Add(V::post, "/user/login", open, bind(&ApiHandlers::Login));
    router.Add(V::post, "/user/refresh", open, bind(&ApiHandlers::Refresh));
    router.Add(V::post, "/user/logout", open, bind(&ApiHandlers::Logout));
    router.Add(V::post, "/chat/rooms", authed_json, bind(&ApiHandlers::CreateRoom));
    router.Add(V::get, "/chat/rooms", authed, bind(&ApiHandlers::ListRooms));
    router.Add(V::get, "/chat/rooms/{id}", room_socket, bind(&ApiHandlers::RoomWithoutUpgrade));
    router.Add(V::get, "/chat/rooms/{id}/clients", room, bind(&ApiHandlers::Clients));
    router.Add(V::get, "/chat/rooms/{id}/messages", room, bind(&ApiHandlers::Messages));
}

asio::awaitable<Response> ApiHandlers::RegisterUser(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"nickname", "password"});
    if (!fields) co_return ErrorResponse(fields.error());
    // Named references rather than a structured binding: clang before 16 cannot capture bindings in lambdas.
    const std::string& nickname = fields->at(0);
    const std::string& password = fields->at(1);
    auto user = co_await OnHashPool([&] { return auth_.Register(nickname, password); });
    if (!user) co_return ErrorResponse(user.error());
    co_return Ok(ctx, json::object{{"user_id", std::to_string(user->id)}, {"nickname", user->nickname}});
}

asio::awaitable<Response> ApiHandlers::Login(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"nickname", "password"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& nickname = fields->at(0);
    const std::string& password = fields->at(1);
    auto tokens = co_await OnHashPool([&] { return auth_.Login(nickname, password); });
    if (!tokens) co_return ErrorResponse(tokens.error());
    co_return Ok(ctx, TokensToJson(*tokens));
}

asio::awaitable<Response> ApiHandlers::Refresh(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"refresh_token"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& token = fields->at(0);
    auto tokens = co_await RunBlocking(store_pool_, [&] { return auth_.Refresh(token); });
    if (!tokens) co_return ErrorResponse(tokens.error());
    co_return Ok(ctx, TokensToJson(*tokens));
}

asio::awaitable<Response> ApiHandlers::Logout(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"refresh_token"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& token = fields->at(0);
    co_await RunBlocking(store_pool_, [&] { auth_.Logout(token); });
    co_return Ok(ctx, json::object{});
}

asio::awaitable<Response> ApiHandlers::CreateRoom(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"name"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& name = fields->at(0);
    const UserId creator = ctx.principal->user_id;
    auto room = co_await RunBlocking(store_pool_, [&] { return rooms_.Create(creator, name); });
    if (!room) co_return ErrorResponse(room.error());
    co_return Ok(ctx, RoomToJson(*room));
}

// The bare call is the seed's: every room. With `limit` or `after` it is one page, and a `Link: <?after=..>;
// rel="next"` header names the next one while there is one. Either way an ETag names the state of the whole list,
// read before the rooms (so a tag is never newer than the body it goes with): an unchanged list answers 304.
asio::awaitable<Response> ApiHandlers::ListRooms(RequestContext& ctx) {
    std::optional<int> limit;
    if (auto it = ctx.query.find("limit"); it != ctx.query.end()) {
        const auto v = ParseId(it->second);
        if (!v || *v > limits_.rooms_page_max)
            co_return ErrorResponse(http::status::bad_request,
                                    "limit must be 1 to " + std::to_string(limits_.rooms_page_max));
        limit = static_cast<int>(*v);
    }
    std::optional<RoomId> after;
    if (auto it = ctx.query.find("after"); it != ctx.query.end()) {
        after = ParseId(it->second);
        if (!after) co_return ErrorResponse(http::status::bad_request, "after must be a room id");
    }
    const bool paged = limit || after;
    const int page_size = limit.value_or(std::min(kDefaultRoomsPage, limits_.rooms_page_max));
    const std::string if_none_match(ctx.request[http::field::if_none_match]);
    struct Listing {
        std::string tag;
        bool unchanged = false;
        RoomPage page;
    };
    Listing listing = co_await RunBlocking(store_pool_, [&] {
        Listing l;
        l.tag = RoomListTag(rooms_.Version());
        l.unchanged = !if_none_match.empty() && NoneMatchHolds(if_none_match, l.tag);
        if (l.unchanged) return l;
        if (paged) {
            l.page = rooms_.ListPage(after, page_size);
        } else {
            l.page.rooms = rooms_.List();
        }
        return l;
    });
    if (listing.unchanged) {
        Response res{http::status::not_modified, 11};
        res.set(http::field::etag, listing.tag);
        res.set(http::field::cache_control, "no-cache");
        co_return res;
    }
    json::array out;
    out.reserve(listing.page.rooms.size());
    for (const auto& r : listing.page.rooms) out.emplace_back(RoomToJson(r));
    Response res = Ok(ctx, out);
    res.set(http::field::etag, listing.tag);
    res.set(http::field::cache_control, "no-cache");  // a client may keep it, but asks again (If-None-Match)
    if (listing.page.next_after) {
        res.set(http::field::link, "<?after=" + std::to_string(*listing.page.next_after) +
                                       "&limit=" + std::to_string(page_size) + ">; rel=\"next\"");
    }
    co_return res;
}

asio::awaitable<Response> ApiHandlers::Clients(RequestContext& ctx) {
    const RoomId id = ctx.room->id;
    auto clients = co_await RunBlocking(store_pool_, [&] { return rooms_.Clients(id); });
    if (!clients) co_return ErrorResponse(clients.error());
    json::array out;
    for (const auto& nickname : *clients) out.emplace_back(json::object{{"nickname", nickname}});
    co_return Ok(ctx, out);
}

asio::awaitable<Response> ApiHandlers::Messages(RequestContext& ctx) {
    const RoomId id = ctx.room->id;
    int limit = kDefaultPageSize;
    if (auto it = ctx.query.find("limit"); it != ctx.query.end()) {
        const auto v = ParseId(it->second);
        if (!v || *v > kMaxPageSize) co_return ErrorResponse(http::status::bad_request, "limit must be 1 to 100");
        limit = static_cast<int>(*v);
    }
    std::optional<MessageId> before;
    if (auto it = ctx.query.find("before"); it != ctx.query.end()) {
        before = ParseId(it->second);
        if (!before) co_return ErrorResponse(http::status::bad_request, "before must be a message id");
    }
    auto page = co_await RunBlocking(store_pool_, [&] { return chat_.Page(id, before, limit); });
    if (!page) co_return ErrorResponse(page.error());
    json::array out;
    out.reserve(page->size());
    for (const auto& m : *page) out.emplace_back(MessageToJson(m));
    co_return Ok(ctx, out);
}

asio::awaitable<Response> ApiHandlers::RoomWithoutUpgrade(RequestContext&) {
    Response res =
        ErrorResponse(http::status::upgrade_required, "this is the room's WebSocket: connect with Upgrade: websocket");
    res.set(http::field::upgrade, "websocket");
    co_return res;
}

}  // namespace rooms
