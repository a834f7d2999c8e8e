// The REST API of API.md, each test run both bare (/user/login) and under /api (/api/user/login).

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

class HttpApiTest : public SharedServerTest<HttpApiTest, ::testing::TestWithParam<std::string>> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit(); }

  protected:
    Api api() const { return Api(port(), GetParam()); }
    std::string P(const std::string& path) const { return GetParam() + path; }
};

INSTANTIATE_TEST_SUITE_P(Paths, HttpApiTest, ::testing::Values("", "/api"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param.empty() ? std::string("Bare") : std::string("ApiPrefix");
                         });

std::string Pad(std::string s, std::size_t code_points, const std::string& filler = "x") {
    // s is ASCII here; appends `filler` (one code point) until s has `code_points` code points.
    std::size_t n = s.size();
    while (n < code_points) {
        s += filler;
        ++n;
    }
    return s;
}

// ------------------------------------------------------------------------------------------------ register

TEST_P(HttpApiTest, RegisterReturnsUserIdAndNickname) {
    const std::string nick = Unique("reg");
    auto res = api().Register(nick, "password123");
    ASSERT_EQ(res.status, 200) << res.Describe();
    auto v = res.Json();
    ASSERT_TRUE(v.is_object()) << res.Describe();
    EXPECT_TRUE(IsDecimalId(v.as_object()["user_id"])) << res.Describe();
    EXPECT_EQ(Str(v, "nickname"), nick) << res.Describe();
    EXPECT_NE(res.Header("content-type").find("application/json"), std::string::npos) << res.Header("content-type");
}

TEST_P(HttpApiTest, RegisterTakenNicknameIs409) {
    const std::string nick = Unique("dup");
    ASSERT_EQ(api().Register(nick, "password123").status, 200);
    auto res = api().Register(nick, "otherpassword");
    EXPECT_EQ(res.status, 409) << res.Describe();
    EXPECT_EQ(ErrorBodyProblem(res), "");
    // The first password still works: the failed register changed nothing.
    EXPECT_EQ(api().Login(nick, "password123").status, 200);
    EXPECT_EQ(api().Login(nick, "otherpassword").status, 401);
}

TEST_P(HttpApiTest, RegisterRejectsInvalidBodies) {
    const std::string ok_nick = Unique("val");
    struct Case {
        std::string body;
        std::string field;  // the field the message must name; empty: any message
    };
    const std::vector<Case> cases = {
        {"{", ""},
        {"", ""},
        {"not json", ""},
        {"[]", ""},
        {"null", ""},
        {"\"nickname\"", ""},
        {R"({"nickname":123,"password":"password123"})", "nickname"},
        {R"({"nickname":"abcdef","password":12345678})", "password"},
        {R"({"nickname":null,"password":"password123"})", "nickname"},
        {R"({"nickname":["abc"],"password":"password123"})", "nickname"},
        {R"({"password":"password123"})", "nickname"},
        {R"({"nickname":")" + ok_nick + R"("})", "password"},
        {"{}", ""},
        {R"({"nickname":"ab","password":"password123"})", "nickname"},
        {R"({"nickname":")" + Pad(ok_nick, 51) + R"(","password":"password123"})", "nickname"},
        {R"({"nickname":"   ","password":"password123"})", "nickname"},
        {R"({"nickname":"     ","password":"password123"})", "nickname"},
        {R"({"nickname":"ab\u0001cd","password":"password123"})", "nickname"},
        {R"({"nickname":"ab\ncd","password":"password123"})", "nickname"},
        {R"({"nickname":")" + ok_nick + R"(","password":"1234567"})", "password"},
        {R"({"nickname":")" + ok_nick + R"(","password":")" + std::string(129, 'p') + R"("})", "password"},
        {R"({"nickname":")" + ok_nick + R"(","password":""})", "password"},
    };
    for (const auto& c : cases) {
        auto res = api().http().PostJson(P("/user/register"), c.body);
        EXPECT_EQ(res.status, 400) << "body " << c.body << " -> " << res.Describe();
        EXPECT_EQ(ErrorBodyProblem(res), "") << "body " << c.body;
        if (!c.field.empty()) {
            EXPECT_NE(Str(res.Json(), "message").find(c.field), std::string::npos)
                << "the message should name '" << c.field << "': body " << c.body << " -> " << res.Describe();
        }
    }
    // None of them created the user.
    EXPECT_EQ(api().Register(ok_nick, "password123").status, 200);
}

TEST_P(HttpApiTest, RegisterLengthBoundariesCountCodePoints) {
    // Valid: 3 and 50 characters, 50 two-byte characters (100 bytes), passwords of 8 and 128 characters.
    const std::string base = Unique("b");
    for (const std::string& nick : {Pad(base, 50), Pad(base, 50, "\xC3\xA9"), Pad(base, 20, "\xE4\xB8\xAD")}) {
        auto res = api().Register(nick, "password123");
        EXPECT_EQ(res.status, 200) << "nickname '" << nick << "' (" << nick.size() << " bytes): " << res.Describe();
        if (res.status == 200) {
            auto login = api().Login(nick, "password123");
            EXPECT_EQ(login.status, 200) << login.Describe();
            EXPECT_EQ(Str(login.Json(), "nickname"), nick);
        }
    }
    // 51 code points of a two-byte character: too long.
    auto res = api().Register(Pad(base, 51, "\xC3\xA9"), "password123");
    EXPECT_EQ(res.status, 400) << res.Describe();

    // 3-character nickname; the shortest and longest passwords.
    const std::string shortnick = "s" + std::to_string(std::hash<std::string>{}(Unique("s")) % 90 + 10);
    res = api().Register(shortnick, std::string(8, 'p'));
    EXPECT_TRUE(res.status == 200 || res.status == 409) << "3-character nickname: " << res.Describe();
    const std::string long_pw = std::string(127, 'p') + "\xC3\xA9";  // 128 characters, 129 bytes
    const std::string nick2 = Unique("pw");
    res = api().Register(nick2, long_pw);
    EXPECT_EQ(res.status, 200) << "128-character password: " << res.Describe();
    EXPECT_EQ(api().Login(nick2, long_pw).status, 200);
    res = api().Register(Unique("pw"), std::string(8, 'p'));
    EXPECT_EQ(res.status, 200) << "8-character password: " << res.Describe();
}

TEST_P(HttpApiTest, UnknownFieldsAreIgnored) {
    // Existing clients may send more than the contract names; that must not break them.
    const std::string nick = Unique("extra");
    auto reg = api().http().PostJson(
        P("/user/register"),
        json::serialize(json::object{
            {"nickname", nick}, {"password", "password123"}, {"email", "x@example.com"}, {"remember", true}}));
    EXPECT_EQ(reg.status, 200) << reg.Describe();
    auto login = api().http().PostJson(
        P("/user/login"), json::serialize(json::object{{"nickname", nick}, {"password", "password123"}, {"x", 1}}));
    EXPECT_EQ(login.status, 200) << login.Describe();
}

// ------------------------------------------------------------------------------------------------ login

TEST_P(HttpApiTest, LoginReturnsJwtAndRefreshToken) {
    const std::string nick = Unique("login");
    auto reg = api().Register(nick, "password123");
    ASSERT_EQ(reg.status, 200) << reg.Describe();
    auto res = api().Login(nick, "password123");
    ASSERT_EQ(res.status, 200) << res.Describe();
    auto v = res.Json();
    ASSERT_TRUE(v.is_object()) << res.Describe();
    EXPECT_EQ(Str(v, "nickname"), nick);
    EXPECT_TRUE(IsDecimalId(v.as_object()["user_id"])) << res.Describe();
    EXPECT_EQ(Str(v, "user_id"), Str(reg.Json(), "user_id"));
    const std::string refresh = Str(v, "refresh_token");
    EXPECT_GE(refresh.size(), 43u) << "a refresh token carries at least 256 random bits: " << refresh;

    // The access token: an HS256 JWT with id, nickname, iat and exp (TTL 900 s by default).
    const std::string access = Str(v, "access_token");
    auto d1 = access.find('.'), d2 = access.rfind('.');
    ASSERT_TRUE(d1 != std::string::npos && d2 != d1) << access;
    std::string header, payload;
    ASSERT_TRUE(Base64UrlDecode(access.substr(0, d1), header)) << access;
    ASSERT_TRUE(Base64UrlDecode(access.substr(d1 + 1, d2 - d1 - 1), payload)) << access;
    auto h = ParseJson(header), c = ParseJson(payload);
    ASSERT_TRUE(h && c) << header << " " << payload;
    EXPECT_EQ(Str(*h, "alg"), "HS256") << header;
    EXPECT_EQ(Str(*c, "id"), Str(v, "user_id")) << payload;
    EXPECT_EQ(Str(*c, "nickname"), nick) << payload;
    auto& claims = c->as_object();
    ASSERT_TRUE(claims.contains("iat") && claims.at("iat").is_number()) << payload;
    ASSERT_TRUE(claims.contains("exp") && claims.at("exp").is_number()) << payload;
    const auto iat = claims.at("iat").to_number<std::int64_t>(), exp = claims.at("exp").to_number<std::int64_t>();
    EXPECT_EQ(exp - iat, ExpectedAccessTokenTtl()) << payload;
    EXPECT_LE(std::llabs(iat - NowUnix()), 5) << payload;

    // Two logins give two different pairs.
    auto again = api().Login(nick, "password123");
    ASSERT_EQ(again.status, 200);
    EXPECT_NE(Str(again.Json(), "refresh_token"), refresh);
}

TEST_P(HttpApiTest, LoginFailuresAre401WithTheSameMessage) {
    const std::string nick = Unique("lf");
    ASSERT_EQ(api().Register(nick, "password123").status, 200);
    auto wrong = api().Login(nick, "password124");
    auto unknown = api().Login(Unique("nobody"), "password123");
    EXPECT_EQ(wrong.status, 401) << wrong.Describe();
    EXPECT_EQ(unknown.status, 401) << unknown.Describe();
    EXPECT_EQ(ErrorBodyProblem(wrong), "");
    EXPECT_EQ(Str(wrong.Json(), "message"), "invalid credentials") << wrong.Describe();
    EXPECT_EQ(wrong.body, unknown.body) << "wrong password and unknown user must be indistinguishable";
}

TEST_P(HttpApiTest, LoginRejectsInvalidBodies) {
    for (const std::string body :
         {"{", "", "[]", "{}", R"({"nickname":"abcdef"})", R"({"password":"password123"})",
          R"({"nickname":5,"password":"password123"})", R"({"nickname":"abcdef","password":true})"}) {
        auto res = api().http().PostJson(P("/user/login"), body);
        EXPECT_EQ(res.status, 400) << "body " << body << " -> " << res.Describe();
        EXPECT_EQ(ErrorBodyProblem(res), "") << body;
    }
}

// ------------------------------------------------------------------------------------------------ refresh

TEST_P(HttpApiTest, RefreshRotatesTheTokens) {
    User u = api().NewUser("rot");
    ASSERT_FALSE(u.refresh_token.empty());
    auto res = api().Refresh(u.refresh_token);
    ASSERT_EQ(res.status, 200) << res.Describe();
    auto v = res.Json();
    EXPECT_EQ(Str(v, "nickname"), u.nickname);
    EXPECT_EQ(Str(v, "user_id"), u.user_id);
    const std::string access2 = Str(v, "access_token"), refresh2 = Str(v, "refresh_token");
    ASSERT_FALSE(access2.empty()) << res.Describe();
    ASSERT_FALSE(refresh2.empty()) << res.Describe();
    EXPECT_NE(refresh2, u.refresh_token);

    auto rooms = api().ListRooms(access2);
    EXPECT_EQ(rooms.status, 200) << "the new access token works: " << rooms.Describe();

    // The old refresh token stops working once the reuse grace (auth.refresh_reuse_grace_s) is over.
    std::this_thread::sleep_for(PastTheReuseGrace());
    auto old = api().Refresh(u.refresh_token);
    EXPECT_EQ(old.status, 401) << "the old refresh token stops working: " << old.Describe();
    EXPECT_EQ(ErrorBodyProblem(old), "");
}

TEST_P(HttpApiTest, RefreshReuseRevokesTheSession) {
    User u = api().NewUser("reuse");
    // A second, independent login session of the same user.
    auto other = api().Login(u.nickname, u.password);
    ASSERT_EQ(other.status, 200);
    const std::string other_refresh = Str(other.Json(), "refresh_token");

    auto r2 = api().Refresh(u.refresh_token);
    ASSERT_EQ(r2.status, 200) << r2.Describe();
    const std::string refresh2 = Str(r2.Json(), "refresh_token");

    std::this_thread::sleep_for(PastTheReuseGrace());
    auto reuse = api().Refresh(u.refresh_token);
    EXPECT_EQ(reuse.status, 401) << "reusing a used refresh token: " << reuse.Describe();
    auto newer = api().Refresh(refresh2);
    EXPECT_EQ(newer.status, 401) << "after reuse, the newer token of that session is revoked too: " << newer.Describe();

    auto unaffected = api().Refresh(other_refresh);
    EXPECT_EQ(unaffected.status, 200) << "another login session is not affected: " << unaffected.Describe();
}

TEST_P(HttpApiTest, RefreshErrors) {
    auto unknown = api().Refresh("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(unknown.status, 401) << unknown.Describe();
    EXPECT_EQ(ErrorBodyProblem(unknown), "");
    auto empty = api().Refresh("");
    EXPECT_TRUE(empty.status == 400 || empty.status == 401) << empty.Describe();
    for (const std::string body : {"{", "", "{}", R"({"refresh_token":5})", R"({"refresh_token":null})", "[]"}) {
        auto res = api().http().PostJson(P("/user/refresh"), body);
        EXPECT_EQ(res.status, 400) << "body " << body << " -> " << res.Describe();
        EXPECT_EQ(ErrorBodyProblem(res), "") << body;
    }
}

// ------------------------------------------------------------------------------------------------ logout

TEST_P(HttpApiTest, LogoutRevokesTheRefreshToken) {
    User u = api().NewUser("out");
    auto r2 = api().Refresh(u.refresh_token);
    ASSERT_EQ(r2.status, 200) << r2.Describe();
    const std::string refresh2 = Str(r2.Json(), "refresh_token");

    auto res = api().Logout(refresh2);
    EXPECT_EQ(res.status, 200) << res.Describe();
    auto after = api().Refresh(refresh2);
    EXPECT_EQ(after.status, 401) << "a logged-out refresh token stops working: " << after.Describe();

    auto unknown = api().Logout("no-such-token-" + Unique("x"));
    EXPECT_EQ(unknown.status, 200) << "logout of an unknown token is 200 too: " << unknown.Describe();
    auto twice = api().Logout(refresh2);
    EXPECT_EQ(twice.status, 200) << twice.Describe();

    for (const std::string body : {"{", "{}", R"({"refresh_token":1})"}) {
        auto bad = api().http().PostJson(P("/user/logout"), body);
        EXPECT_EQ(bad.status, 400) << "body " << body << " -> " << bad.Describe();
        EXPECT_EQ(ErrorBodyProblem(bad), "") << body;
    }
}

TEST_P(HttpApiTest, LogoutEndsOnlyThatSession) {
    User u = api().NewUser("out2");
    auto other = api().Login(u.nickname, u.password);
    ASSERT_EQ(other.status, 200);
    ASSERT_EQ(api().Logout(u.refresh_token).status, 200);
    EXPECT_EQ(api().Refresh(u.refresh_token).status, 401);
    auto res = api().Refresh(Str(other.Json(), "refresh_token"));
    EXPECT_EQ(res.status, 200) << res.Describe();
}

// ------------------------------------------------------------------------------------------------ rooms

TEST_P(HttpApiTest, CreateAndListRoomsOldestFirst) {
    User u = api().NewUser("rooms");
    std::vector<std::string> ids, names;
    for (int i = 0; i < 3; ++i) {
        names.push_back(Unique("Room"));
        auto res = api().CreateRoom(u.access_token, names.back());
        ASSERT_EQ(res.status, 200) << res.Describe();
        auto v = res.Json();
        EXPECT_TRUE(IsDecimalId(v.as_object()["id"])) << res.Describe();
        EXPECT_EQ(Str(v, "name"), names.back());
        EXPECT_TRUE(IsRfc3339(v.as_object()["time_created"])) << res.Describe();
        ids.push_back(Str(v, "id"));
    }
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u);

    auto list = api().ListRooms(u.access_token);
    ASSERT_EQ(list.status, 200) << list.Describe();
    auto v = list.Json();
    ASSERT_TRUE(v.is_array()) << list.Describe();
    std::vector<std::string> order;
    for (const auto& r : v.as_array()) {
        EXPECT_TRUE(r.is_object() && IsDecimalId(r.as_object().at("id")) && r.as_object().at("name").is_string() &&
                    IsRfc3339(r.as_object().at("time_created")))
            << Serialize(r);
        std::string id = Str(r, "id");
        if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
            order.push_back(id);
            EXPECT_EQ(Str(r, "name"),
                      names[static_cast<std::size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin())]);
        }
    }
    EXPECT_EQ(order, ids) << "rooms are listed oldest first: " << list.Describe();
    // Another user sees the same rooms (and those created meanwhile by tests sharing the server, after them).
    User other = api().NewUser("rooms2");
    auto list2 = api().ListRooms(other.access_token);
    ASSERT_EQ(list2.status, 200);
    auto v2 = list2.Json();
    ASSERT_TRUE(v2.is_array() && v2.as_array().size() >= v.as_array().size()) << list2.Describe();
    EXPECT_EQ(json::array(v2.as_array().begin(), v2.as_array().begin() + static_cast<long>(v.as_array().size())),
              v.as_array());
}

TEST_P(HttpApiTest, CreateRoomValidation) {
    User u = api().NewUser("rv");
    const std::string base = Unique("r");
    for (const std::string& ok : {Pad(base, 50), Pad(base, 50, "\xC3\xA9"), std::string("x")}) {
        auto res = api().CreateRoom(u.access_token, ok);
        EXPECT_EQ(res.status, 200) << "name '" << ok << "': " << res.Describe();
    }
    const std::vector<std::string> bad_bodies = {
        R"({"name":""})",
        R"({"name":"   "})",
        R"({"name":"\t\n"})",
        R"({"name":")" + Pad(base, 51) + R"("})",
        R"({"name":")" + Pad(base, 51, "\xC3\xA9") + R"("})",
        R"({"name":42})",
        R"({"name":null})",
        R"({})",
        R"({"nam":"x"})",
        "{",
        "",
        "[]",
    };
    for (const auto& body : bad_bodies) {
        auto res = api().Post("/chat/rooms", body, u.access_token);
        EXPECT_EQ(res.status, 400) << "body " << body << " -> " << res.Describe();
        EXPECT_EQ(ErrorBodyProblem(res), "") << body;
    }
    auto res = api().Post("/chat/rooms", R"({"name":""})", u.access_token);
    EXPECT_NE(Str(res.Json(), "message").find("name"), std::string::npos)
        << "the message names the field: " << res.Describe();
}

TEST_P(HttpApiTest, ChatEndpointsRequireAToken) {
    User u = api().NewUser("tok");
    const std::string room = api().NewRoom(u);
    const std::vector<std::pair<http::verb, std::string>> calls = {
        {http::verb::get, "/chat/rooms"},
        {http::verb::post, "/chat/rooms"},
        {http::verb::get, "/chat/rooms/" + room + "/clients"},
        {http::verb::get, "/chat/rooms/" + room + "/messages"},
    };
    const std::vector<Headers> bad_auth = {
        {},
        {{"Authorization", "Bearer"}},
        {{"Authorization", "Bearer "}},
        {{"Authorization", "Bearer not.a.jwt"}},
        {{"Authorization", "Bearer " + u.refresh_token}},
        {{"Authorization", "Basic dXNlcjpwYXNz"}},
        {{"Authorization", "bearer" + u.access_token}},
    };
    for (const auto& [method, path] : calls) {
        for (const auto& h : bad_auth) {
            auto res = api().http().Request(method, P(path), method == http::verb::post ? R"({"name":"x"})" : "", h);
            EXPECT_EQ(res.status, 401) << http::to_string(method) << " " << P(path) << " with "
                                       << (h.empty() ? "no Authorization" : h[0].second) << " -> " << res.Describe();
            EXPECT_EQ(ErrorBodyProblem(res), "");
        }
        // and with the token, it works
        auto ok = api().http().Request(method, P(path), method == http::verb::post ? R"({"name":"y"})" : "",
                                       {{"Authorization", u.Bearer()}, {"Content-Type", "application/json"}});
        EXPECT_EQ(ok.status, 200) << http::to_string(method) << " " << P(path) << " -> " << ok.Describe();
    }
}

TEST_P(HttpApiTest, ClientsOfAnEmptyAndAnUnknownRoom) {
    User u = api().NewUser("cl");
    const std::string room = api().NewRoom(u);
    auto res = api().Clients(u.access_token, room);
    ASSERT_EQ(res.status, 200) << res.Describe();
    EXPECT_EQ(res.Json(), json::value(json::array{})) << res.Describe();

    auto unknown = api().Clients(u.access_token, "987654321");
    EXPECT_EQ(unknown.status, 404) << unknown.Describe();
    EXPECT_EQ(ErrorBodyProblem(unknown), "");
    auto bad = api().Clients(u.access_token, "abc");
    EXPECT_TRUE(bad.status == 404 || bad.status == 400) << bad.Describe();
    EXPECT_EQ(ErrorBodyProblem(bad), "");
}

TEST_P(HttpApiTest, MessagesOfAnEmptyRoomAndBadQueries) {
    User u = api().NewUser("msg");
    const std::string room = api().NewRoom(u);
    auto res = api().Messages(u.access_token, room);
    ASSERT_EQ(res.status, 200) << res.Describe();
    EXPECT_EQ(res.Json(), json::value(json::array{})) << res.Describe();
    for (const std::string q : {"limit=1", "limit=100", "limit=50"}) {
        auto ok = api().Messages(u.access_token, room, q);
        EXPECT_EQ(ok.status, 200) << q << " -> " << ok.Describe();
        EXPECT_TRUE(ok.Json().is_array()) << q << " -> " << ok.Describe();
    }
    for (const std::string q :
         {"limit=0", "limit=101", "limit=-1", "limit=abc", "limit=", "limit=10x", "limit=99999999999999999999"}) {
        auto bad = api().Messages(u.access_token, room, q);
        EXPECT_EQ(bad.status, 400) << q << " -> " << bad.Describe();
        EXPECT_EQ(ErrorBodyProblem(bad), "") << q;
    }
    auto unknown = api().Messages(u.access_token, "987654321");
    EXPECT_EQ(unknown.status, 404) << unknown.Describe();
    EXPECT_EQ(ErrorBodyProblem(unknown), "");
}

// ------------------------------------------------------------------------------------------------ misc

TEST_P(HttpApiTest, HealthAndReadiness) {
    auto h = api().http().Get(P("/healthz"));
    EXPECT_EQ(h.status, 200) << P("/healthz") << " -> " << h.Describe();
    auto r = api().http().Get(P("/readyz"));
    EXPECT_EQ(r.status, 200) << P("/readyz") << " -> " << r.Describe();
}

TEST_P(HttpApiTest, UnknownPathIs404) {
    User u = api().NewUser("nf");
    std::vector<std::string> paths = {"/user",      "/user/nope",         "/user/login/extra",      "/chat",
                                      "/chat/nope", "/chat/rooms/1/nope", "/chat/rooms/1/clients/x"};
    // Bare paths outside /user and /chat may belong to the web UI (served at /); under /api everything is API.
    if (!GetParam().empty()) paths.push_back("/nope");
    for (const std::string& path : paths) {
        auto res = api().Get(path, u.access_token);
        EXPECT_EQ(res.status, 404) << "GET " << P(path) << " -> " << res.Describe();
        EXPECT_EQ(ErrorBodyProblem(res), "") << P(path);
        auto post = api().Post(path, "{}", u.access_token);
        EXPECT_EQ(post.status, 404) << "POST " << P(path) << " -> " << post.Describe();
    }
}

TEST_P(HttpApiTest, WrongMethodIs405) {
    User u = api().NewUser("wm");
    const std::string room = api().NewRoom(u);
    const Headers auth = {{"Authorization", u.Bearer()}};
    const std::vector<std::pair<http::verb, std::string>> calls = {
        {http::verb::get, "/user/register"},
        {http::verb::get, "/user/login"},
        {http::verb::get, "/user/refresh"},
        {http::verb::get, "/user/logout"},
        {http::verb::put, "/user/login"},
        {http::verb::delete_, "/user/register"},
        {http::verb::put, "/chat/rooms"},
        {http::verb::delete_, "/chat/rooms"},
        {http::verb::patch, "/chat/rooms"},
        {http::verb::post, "/chat/rooms/" + room + "/clients"},
        {http::verb::post, "/chat/rooms/" + room + "/messages"},
        {http::verb::delete_, "/chat/rooms/" + room + "/messages"},
        {http::verb::post, "/healthz"},
    };
    for (const auto& [method, path] : calls) {
        auto res = api().http().Request(method, P(path), "", auth);
        EXPECT_EQ(res.status, 405) << http::to_string(method) << " " << P(path) << " -> " << res.Describe();
        EXPECT_EQ(ErrorBodyProblem(res), "") << http::to_string(method) << " " << P(path);
    }
}

TEST_P(HttpApiTest, AccessTokenInTheQueryStringWorksForRest) {
    User u = api().NewUser("q");
    auto with_bearer = api().http().Get(P("/chat/rooms?access_token=Bearer%20" + u.access_token));
    EXPECT_EQ(with_bearer.status, 200) << with_bearer.Describe();
    auto bare = api().http().Get(P("/chat/rooms?access_token=" + u.access_token));
    EXPECT_EQ(bare.status, 200) << bare.Describe();
    auto bad = api().http().Get(P("/chat/rooms?access_token=Bearer%20garbage"));
    EXPECT_EQ(bad.status, 401) << bad.Describe();
}

}  // namespace
}  // namespace rooms_e2e
