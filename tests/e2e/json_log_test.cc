// log_format json: every line the server writes is one JSON object a log shipper can take as it is, with the
// request's fields, and never a password, a token or a query string.

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "test_util.h"

namespace rooms_e2e {
namespace {

class JsonLogTest : public SharedServerTest<JsonLogTest> {
  public:
    static std::map<std::string, std::string> Env() { return NoRateLimit({{"ROOMS_LOG_FORMAT", "json"}}); }
};

std::vector<json::object> LogObjects(const std::string& text, std::vector<std::string>& not_json) {
    std::vector<json::object> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        auto v = ParseJson(line);
        if (v && v->is_object()) {
            out.push_back(v->as_object());
        } else {
            not_json.push_back(line);
        }
    }
    return out;
}

TEST_F(JsonLogTest, EveryLineIsAnObjectAndARequestAndASocketAreFoundWithTheirFields) {
    Api api(port());
    User alice = api.NewUser("jsonlog");
    const std::string room = api.NewRoom(alice);
    {
        Member m = Join(port(), room, alice);
        ASSERT_TRUE(m.ws);
        ASSERT_TRUE(SendAndAwaitEcho(*m.ws, alice, "logged as json"));
        m.ws->Close();
    }
    HttpClient http(port());
    ASSERT_EQ(http.Get("/healthz?marker=jsonlog-query-never-logged").status, 200);

    std::vector<json::object> objects;
    std::vector<std::string> not_json;
    bool request = false, opened = false, closed = false;
    const auto deadline = Clock::now() + 5s;
    while (!(request && opened && closed) && Clock::now() < deadline) {
        not_json.clear();
        objects = LogObjects(ReadFile(server().log_path()), not_json);
        request = opened = closed = false;
        for (const auto& o : objects) {
            const std::string msg = Str(o, "msg");
            request |= Str(o, "event") == "http" && msg.find("\"GET /healthz\" 200") != std::string::npos;
            opened |= Str(o, "event") == "ws" && msg.starts_with("ws open") && Str(o, "room") == room &&
                      Str(o, "user") == alice.user_id;
            closed |= Str(o, "event") == "ws" && msg.starts_with("ws close") && Str(o, "room") == room &&
                      Str(o, "code") == "1000";
        }
        if (!(request && opened && closed)) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(request) << "no http line for GET /healthz";
    EXPECT_TRUE(opened) << "no ws open line with room and user fields";
    EXPECT_TRUE(closed) << "no ws close line with the room and code 1000";
    EXPECT_TRUE(not_json.empty()) << not_json.size() << " lines are not JSON objects, the first: " << not_json.front();
    ASSERT_FALSE(objects.empty());
    for (const auto& o : objects) {
        for (const char* key : {"time", "level", "role", "event", "msg", "host"})
            EXPECT_TRUE(o.contains(key)) << key << " missing in " << json::serialize(o);
        EXPECT_EQ(Str(o, "role"), "all");
    }
    const std::string log = ReadFile(server().log_path());
    EXPECT_EQ(log.find("jsonlog-query-never-logged"), std::string::npos) << "a query string was logged";
    EXPECT_EQ(log.find(alice.access_token), std::string::npos) << "an access token was logged";
    EXPECT_EQ(log.find(alice.password), std::string::npos) << "a password was logged";
    std::cerr << "e2e: " << objects.size() << " JSON log lines, every one an object\n";
}

}  // namespace
}  // namespace rooms_e2e
