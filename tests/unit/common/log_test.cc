#include "common/log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace rooms {
namespace {

namespace json = boost::json;

json::object Format(std::string_view text, spdlog::level::level_enum level = spdlog::level::info) {
    const auto formatter = MakeJsonLogFormatter(LogSource{"websocket", 7});
    const spdlog::details::log_msg msg(spdlog::source_loc{}, "rooms", level, text);
    spdlog::memory_buf_t out;
    formatter->format(msg, out);
    const std::string line(out.data(), out.size());
    EXPECT_TRUE(line.ends_with("}\n")) << line;
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per event: " << line;
    return json::parse(line).as_object();
}

TEST(JsonLogTest, OneObjectPerLineWithTheSourceTheEventAndTheFields) {
    const json::object o = Format("ws open 127.0.0.1 room=12 user=99 conn=c-1");
    EXPECT_EQ(o.at("level"), "info");
    EXPECT_EQ(o.at("role"), "websocket");
    EXPECT_EQ(o.at("node_id"), 7);
    EXPECT_GT(o.at("pid").as_int64(), 0);
    EXPECT_TRUE(o.contains("host"));
    EXPECT_EQ(o.at("event"), "ws");
    EXPECT_EQ(o.at("msg"), "ws open 127.0.0.1 room=12 user=99 conn=c-1");
    EXPECT_EQ(o.at("room"), "12");  // strings: ids are 64-bit, beyond a double's exact range
    EXPECT_EQ(o.at("user"), "99");
    EXPECT_EQ(o.at("conn"), "c-1");
    const std::string time(o.at("time").as_string());
    EXPECT_EQ(time.size(), std::string("2026-12-02T10:00:00.123456Z").size()) << time;
    EXPECT_EQ(time.back(), 'Z');
    EXPECT_EQ(time[10], 'T');
}

TEST(JsonLogTest, TheEventIsTheFirstWordOrLog) {
    EXPECT_EQ(Format("http 127.0.0.1 \"GET /healthz\" 200 0.1ms").at("event"), "http");
    EXPECT_EQ(Format("presence: ending leaves: boom", spdlog::level::err).at("event"), "presence");
    EXPECT_EQ(Format("presence: ending leaves: boom", spdlog::level::err).at("level"), "error");
    EXPECT_EQ(Format("Rooms 1.0 on http://0.0.0.0:8080").at("event"), "log");
    EXPECT_EQ(Format("").at("event"), "log");
    EXPECT_EQ(Format("404 things").at("event"), "log");
}

TEST(JsonLogTest, AnyTextGivesValidJsonAndFieldsNeverOverwriteTheEnvelope) {
    // Quotes, backslashes, control characters, invalid UTF-8 and a field named like the envelope's.
    const std::string nasty = std::string("ws level=forged role=x msg=y \"q\" \\ \x01\t\n") + "\xff\xfe end=1";
    const json::object o = Format(nasty);
    EXPECT_EQ(o.at("level"), "info");
    EXPECT_EQ(o.at("role"), "websocket");
    EXPECT_EQ(o.at("end"), "1");
    EXPECT_EQ(o.at("event"), "ws");
}

}  // namespace
}  // namespace rooms
