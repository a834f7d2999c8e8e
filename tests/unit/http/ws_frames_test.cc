#include "http/ws_frames.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rooms {
namespace {

constexpr std::size_t kLimit = 1000;

/// A client frame as a browser sends it: masked with `key`.
std::string ClientFrame(std::uint8_t first_byte, std::string_view payload, std::uint32_t key = 0x37fa213d) {
    std::string f(1, static_cast<char>(first_byte));
    const std::size_t n = payload.size();
    if (n < 126) {
        f += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
    }
    const std::uint8_t k[4] = {static_cast<std::uint8_t>(key >> 24), static_cast<std::uint8_t>(key >> 16),
                               static_cast<std::uint8_t>(key >> 8), static_cast<std::uint8_t>(key)};
    f.append(reinterpret_cast<const char*>(k), 4);
    for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ k[i & 3]);
    return f;
}

std::string Text(std::string_view s) { return ClientFrame(0x81, s); }

/// Every event the parser finds in `bytes` fed whole.
std::vector<WsEvent> ParseAll(WsFrameParser& p, std::string_view bytes) {
    std::vector<WsEvent> events;
    for (;;) {
        WsEvent e = p.Next(bytes);
        if (e.kind == WsEvent::Kind::kNeedMore) break;
        events.push_back(e);
        if (e.kind == WsEvent::Kind::kError) break;
    }
    return events;
}

WsEvent ParseOne(std::string_view bytes, std::size_t limit = kLimit) {
    WsFrameParser p(limit);
    auto events = ParseAll(p, bytes);
    return events.empty() ? WsEvent{} : events.front();
}

// --- Encoding -------------------------------------------------------------------------------------------

TEST(WsFramesTest, ServerFramesAreUnmaskedWithTheShortestLength) {
    std::string out;
    AppendWsFrame(out, WsOpcode::kText, "hi");
    EXPECT_EQ(out, std::string("\x81\x02hi", 4));

    for (const std::size_t n : {std::size_t{125}, std::size_t{126}, std::size_t{65535}, std::size_t{65536}}) {
        out.clear();
        AppendWsFrame(out, WsOpcode::kText, std::string(n, 'x'));
        const std::size_t header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        ASSERT_EQ(out.size(), header + n) << n;
        EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x81);
        EXPECT_EQ(static_cast<std::uint8_t>(out[1]) & 0x80, 0) << "server frames are never masked";
    }
}

TEST(WsFramesTest, SeveralFramesInOneBufferStayOneMessageEach) {
    std::string out;
    AppendWsFrame(out, WsOpcode::kText, "one");
    AppendWsFrame(out, WsOpcode::kPing, "");
    AppendWsFrame(out, WsOpcode::kText, "two");
    EXPECT_EQ(out, std::string("\x81\x03one\x89\x00\x81\x03two", 12));
}

TEST(WsFramesTest, ClosePayloadHasTheCodeAndAReasonCutAtACharacter) {
    EXPECT_EQ(WsClosePayload(WsCloseCode::kNone, "ignored"), "");
    EXPECT_EQ(WsClosePayload(WsCloseCode::kGoingAway, "bye"), std::string("\x03\xe9"
                                                                          "bye",
                                                                          5));
    // 122 ASCII bytes then a 3-byte character: it does not fit in 123 and is left out whole.
    const std::string reason = std::string(122, 'a') + "\xe2\x82\xac";
    const std::string p = WsClosePayload(WsCloseCode::kPolicyViolation, reason);
    EXPECT_EQ(p.size(), 2u + 122u);
}

// --- Parsing --------------------------------------------------------------------------------------------

TEST(WsFramesTest, ParsesMaskedTextOfEveryLengthEncoding) {
    for (const std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{125}, std::size_t{126}, std::size_t{999}}) {
        const std::string s(n, 'q');
        WsEvent e = ParseOne(Text(s));
        EXPECT_EQ(e.kind, WsEvent::Kind::kText) << n;
        EXPECT_EQ(e.payload, s) << n;
    }
    WsEvent big = ParseOne(Text(std::string(70000, 'z')), 100000);
    EXPECT_EQ(big.kind, WsEvent::Kind::kText);
    EXPECT_EQ(big.payload.size(), 70000u);
}

TEST(WsFramesTest, WaitsForWholeFramesAndConsumesOnlyThem) {
    const std::string two = Text("hello") + Text("world");
    WsFrameParser p(kLimit);
    std::vector<std::string> got;
    // Fed a byte at a time, as a slow network would.
    std::string pending;
    for (const char c : two) {
        pending += c;
        std::string_view view(pending);
        for (;;) {
            WsEvent e = p.Next(view);
            if (e.kind == WsEvent::Kind::kNeedMore) break;
            ASSERT_EQ(e.kind, WsEvent::Kind::kText);
            got.push_back(e.payload);
        }
        pending.erase(0, pending.size() - view.size());
    }
    EXPECT_EQ(got, (std::vector<std::string>{"hello", "world"}));
    EXPECT_TRUE(pending.empty());
}

TEST(WsFramesTest, KnowsAFramesSizeOnceItsHeaderIsIn) {
    const std::string f = Text(std::string(300, 'a'));
    WsFrameParser p(kLimit);
    std::string_view part(f.data(), 10);
    EXPECT_EQ(p.Next(part).kind, WsEvent::Kind::kNeedMore);
    EXPECT_EQ(p.frame_bytes(), f.size());
    EXPECT_EQ(part.size(), 10u) << "nothing consumed";
}

TEST(WsFramesTest, JoinsFragmentsWithControlFramesBetween) {
    const std::string bytes =
        ClientFrame(0x01, "hel") + ClientFrame(0x89, "ping!") + ClientFrame(0x00, "lo ") + ClientFrame(0x80, "there");
    WsFrameParser p(kLimit);
    auto events = ParseAll(p, bytes);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, WsEvent::Kind::kPing);
    EXPECT_EQ(events[0].payload, "ping!");
    EXPECT_EQ(events[1].kind, WsEvent::Kind::kText);
    EXPECT_EQ(events[1].payload, "hello there");
}

TEST(WsFramesTest, BinaryPongAndClose) {
    EXPECT_EQ(ParseOne(ClientFrame(0x82, std::string("\x00\x01", 2))).kind, WsEvent::Kind::kBinary);
    EXPECT_EQ(ParseOne(ClientFrame(0x8A, "")).kind, WsEvent::Kind::kPong);

    WsEvent bare = ParseOne(ClientFrame(0x88, ""));
    EXPECT_EQ(bare.kind, WsEvent::Kind::kClose);
    EXPECT_EQ(bare.code, WsCloseCode::kNone);

    WsEvent c = ParseOne(ClientFrame(0x88, std::string("\x03\xe8"
                                                       "done",
                                                       6)));
    EXPECT_EQ(c.kind, WsEvent::Kind::kClose);
    EXPECT_EQ(static_cast<int>(c.code), 1000);
    EXPECT_EQ(c.payload, "done");
    EXPECT_EQ(static_cast<int>(ParseOne(ClientFrame(0x88, std::string("\x0f\xa0", 2))).code), 4000);
}

struct Violation {
    const char* name;
    std::string bytes;
    WsCloseCode code;
};

TEST(WsFramesTest, ProtocolViolationsFailWithTheRightCode) {
    const std::vector<Violation> cases = {
        {"unmasked", std::string("\x81\x02hi", 4), WsCloseCode::kProtocolError},
        {"reserved bit", ClientFrame(0xC1, "x"), WsCloseCode::kProtocolError},
        {"unknown opcode", ClientFrame(0x83, "x"), WsCloseCode::kProtocolError},
        {"fragmented ping", ClientFrame(0x09, "x"), WsCloseCode::kProtocolError},
        {"long ping", ClientFrame(0x89, std::string(126, 'p')), WsCloseCode::kProtocolError},
        {"continuation first", ClientFrame(0x80, "x"), WsCloseCode::kProtocolError},
        {"text inside text", ClientFrame(0x01, "a") + ClientFrame(0x81, "b"), WsCloseCode::kProtocolError},
        {"close of one byte", ClientFrame(0x88, "\x03"), WsCloseCode::kProtocolError},
        {"reserved close code", ClientFrame(0x88, std::string("\x03\xed", 2)), WsCloseCode::kProtocolError},
        {"close code 999", ClientFrame(0x88, std::string("\x03\xe7", 2)), WsCloseCode::kProtocolError},
        {"close reason not UTF-8", ClientFrame(0x88, std::string("\x03\xe8\xff", 3)), WsCloseCode::kInvalidPayload},
        {"text not UTF-8", Text("bad \xff\xfe"), WsCloseCode::kInvalidPayload},
        {"overlong UTF-8", Text("\xc0\xaf"), WsCloseCode::kInvalidPayload},
        {"fragments not UTF-8 once joined", ClientFrame(0x01, "\xe2\x82") + ClientFrame(0x80, "x"),
         WsCloseCode::kInvalidPayload},
    };
    for (const auto& c : cases) {
        WsFrameParser p(kLimit);
        auto events = ParseAll(p, c.bytes);
        ASSERT_FALSE(events.empty()) << c.name;
        EXPECT_EQ(events.back().kind, WsEvent::Kind::kError) << c.name;
        EXPECT_EQ(events.back().code, c.code) << c.name;
        EXPECT_FALSE(events.back().payload.empty()) << c.name << ": says why";
    }
}

TEST(WsFramesTest, AUtf8CharacterSplitAcrossFragmentsIsFine) {
    WsFrameParser p(kLimit);
    auto events = ParseAll(p, ClientFrame(0x01, "\xe2\x82") + ClientFrame(0x80, "\xac"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, WsEvent::Kind::kText);
    EXPECT_EQ(events[0].payload, "\xe2\x82\xac");
}

TEST(WsFramesTest, TheSizeLimitBitesOnTheDeclaredLengthBeforeThePayloadArrives) {
    // Only the header of a 70,000-byte frame: refused at once, without buffering 70,000 bytes first.
    const std::string header = Text(std::string(70000, 'z')).substr(0, 14);
    WsEvent e = ParseOne(header, 65536);
    EXPECT_EQ(e.kind, WsEvent::Kind::kError);
    EXPECT_EQ(e.code, WsCloseCode::kMessageTooBig);

    // Exactly the limit passes; the fragments of a message count together.
    EXPECT_EQ(ParseOne(Text(std::string(kLimit, 'a'))).kind, WsEvent::Kind::kText);
    WsFrameParser p(kLimit);
    auto events = ParseAll(p, ClientFrame(0x01, std::string(600, 'a')) + ClientFrame(0x80, std::string(401, 'b')));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].code, WsCloseCode::kMessageTooBig);
}

TEST(WsFramesTest, A64BitLengthWithTheTopBitSetIsRefused) {
    std::string f("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10);
    f += "mask";
    WsEvent e = ParseOne(f);
    EXPECT_EQ(e.kind, WsEvent::Kind::kError);
    EXPECT_EQ(e.code, WsCloseCode::kProtocolError);
}

}  // namespace
}  // namespace rooms
