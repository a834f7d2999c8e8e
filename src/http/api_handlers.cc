#include "http/api_handlers.h"

#include "common/text.h"
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

Response Ok(const json::value& body) { return JsonResponse(http::status::ok, json::serialize(body)); }

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 100;

}  // namespace

ApiHandlers::ApiHandlers(AuthService& auth, RoomService& rooms, ChatService& chat, asio::thread_pool& store_pool,
                         asio::thread_pool& hash_pool)
    : auth_(auth), rooms_(rooms), chat_(chat), store_pool_(store_pool), hash_pool_(hash_pool) {}

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
    auto user = co_await RunBlocking(hash_pool_, [&] { return auth_.Register(nickname, password); });
    if (!user) co_return ErrorResponse(user.error());
    co_return Ok(json::object{{"user_id", std::to_string(user->id)}, {"nickname", user->nickname}});
}

asio::awaitable<Response> ApiHandlers::Login(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"nickname", "password"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& nickname = fields->at(0);
    const std::string& password = fields->at(1);
    auto tokens = co_await RunBlocking(hash_pool_, [&] { return auth_.Login(nickname, password); });
    if (!tokens) co_return ErrorResponse(tokens.error());
    co_return Ok(TokensToJson(*tokens));
}

asio::awaitable<Response> ApiHandlers::Refresh(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"refresh_token"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& token = fields->at(0);
    auto tokens = co_await RunBlocking(store_pool_, [&] { return auth_.Refresh(token); });
    if (!tokens) co_return ErrorResponse(tokens.error());
    co_return Ok(TokensToJson(*tokens));
}

asio::awaitable<Response> ApiHandlers::Logout(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"refresh_token"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& token = fields->at(0);
    co_await RunBlocking(store_pool_, [&] { auth_.Logout(token); });
    co_return Ok(json::object{});
}

asio::awaitable<Response> ApiHandlers::CreateRoom(RequestContext& ctx) {
    auto fields = ParseStringFields(ctx.request.body(), {"name"});
    if (!fields) co_return ErrorResponse(fields.error());
    const std::string& name = fields->at(0);
    auto room = co_await RunBlocking(store_pool_, [&] { return rooms_.Create(name); });
    if (!room) co_return ErrorResponse(room.error());
    co_return Ok(RoomToJson(*room));
}

asio::awaitable<Response> ApiHandlers::ListRooms(RequestContext&) {
    auto list = co_await RunBlocking(store_pool_, [&] { return rooms_.List(); });
    json::array out;
    out.reserve(list.size());
    for (const auto& r : list) out.emplace_back(RoomToJson(r));
    co_return Ok(out);
}

asio::awaitable<Response> ApiHandlers::Clients(RequestContext& ctx) {
    const RoomId id = ctx.room->id;
    auto clients = co_await RunBlocking(store_pool_, [&] { return rooms_.Clients(id); });
    if (!clients) co_return ErrorResponse(clients.error());
    json::array out;
    for (const auto& nickname : *clients) out.emplace_back(json::object{{"nickname", nickname}});
    co_return Ok(out);
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
    co_return Ok(out);
}

asio::awaitable<Response> ApiHandlers::RoomWithoutUpgrade(RequestContext&) {
    Response res =
        ErrorResponse(http::status::upgrade_required, "this is the room's WebSocket: connect with Upgrade: websocket");
    res.set(http::field::upgrade, "websocket");
    co_return res;
}

}  // namespace rooms
