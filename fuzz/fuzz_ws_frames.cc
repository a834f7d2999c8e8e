// The client frames a WebSocket session parses (http/ws_frames.h), from untrusted bytes. Differential: the bytes fed
// whole and fed in pieces (split where the first input byte says, as a network would) must give the same events,
// every text message must be UTF-8 and every message within the limit.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "http/ws_frames.h"

namespace {

constexpr std::size_t kLimit = 4096;

struct Seen {
    rooms::WsEvent::Kind kind;
    std::string payload;
    rooms::WsCloseCode code;
    bool operator==(const Seen&) const = default;
};

// Feeds `bytes` in pieces of at most `piece` bytes (0: whole), keeping what the parser did not consume.
std::vector<Seen> Parse(std::string_view bytes, std::size_t piece) {
    rooms::WsFrameParser parser(kLimit);
    std::vector<Seen> seen;
    std::string pending;
    std::size_t fed = 0;
    while (fed < bytes.size()) {
        const std::size_t n = piece == 0 ? bytes.size() : std::min(piece, bytes.size() - fed);
        pending.append(bytes.substr(fed, n));
        fed += n;
        std::string_view view(pending);
        for (;;) {
            rooms::WsEvent e = parser.Next(view);
            if (e.kind == rooms::WsEvent::Kind::kNeedMore) break;
            seen.push_back({e.kind, e.payload, e.code});
            if (e.kind == rooms::WsEvent::Kind::kError) return seen;
        }
        pending.erase(0, pending.size() - view.size());
    }
    return seen;
}

void Check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_ws_frames: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = 1 + data[0] % 16;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto whole = Parse(bytes, 0);
    Check(whole == Parse(bytes, piece), "pieces and whole disagree");
    for (const auto& s : whole) {
        if (s.kind == rooms::WsEvent::Kind::kText) Check(rooms::IsValidUtf8(s.payload), "text that is not UTF-8");
        if (s.kind == rooms::WsEvent::Kind::kText || s.kind == rooms::WsEvent::Kind::kBinary)
            Check(s.payload.size() <= kLimit, "a message over the limit");
        if (s.kind == rooms::WsEvent::Kind::kPing || s.kind == rooms::WsEvent::Kind::kClose)
            Check(s.payload.size() <= rooms::kWsMaxControlPayload, "a control payload over 125 bytes");
    }
    return 0;
}
