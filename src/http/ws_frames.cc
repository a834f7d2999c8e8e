#include "http/ws_frames.h"

#include <algorithm>
#include <cstring>

#include "common/text.h"

namespace rooms {

namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;
constexpr std::uint8_t kMasked = 0x80;

bool IsControl(std::uint8_t opcode) { return (opcode & 0x8) != 0; }

bool IsKnownOpcode(std::uint8_t opcode) {
    switch (static_cast<WsOpcode>(opcode)) {
        case WsOpcode::kContinuation:
        case WsOpcode::kText:
        case WsOpcode::kBinary:
        case WsOpcode::kClose:
        case WsOpcode::kPing:
        case WsOpcode::kPong:
            return true;
    }
    return false;
}

// The codes a peer may send (§7.4): the registered ones, and the private range. 1004-1006 and 1015 are reserved
// for reporting and must not travel in a frame.
bool IsValidCloseCode(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// Copies `n` payload bytes from `src` into `dst`, unmasking with the 4-byte key (§5.3).
void Unmask(std::string& dst, const char* src, std::size_t n, const std::uint8_t (&key)[4]) {
    const std::size_t start = dst.size();
    dst.resize(start + n);
    char* out = dst.data() + start;
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(static_cast<std::uint8_t>(src[i]) ^ key[i & 3]);
}

}  // namespace

std::size_t EncodeWsHeader(std::uint8_t (&out)[kWsMaxHeaderBytes], WsOpcode opcode, std::size_t payload_size) {
    out[0] = static_cast<std::uint8_t>(kFin | static_cast<std::uint8_t>(opcode));
    if (payload_size < 126) {
        out[1] = static_cast<std::uint8_t>(payload_size);
        return 2;
    }
    if (payload_size <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(payload_size >> 8);
        out[3] = static_cast<std::uint8_t>(payload_size);
        return 4;
    }
    out[1] = 127;
    const auto n = static_cast<std::uint64_t>(payload_size);
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(n >> (8 * (7 - i)));
    return 10;
}

void AppendWsFrame(std::string& out, WsOpcode opcode, std::string_view payload) {
    std::uint8_t header[kWsMaxHeaderBytes];
    const std::size_t n = EncodeWsHeader(header, opcode, payload.size());
    out.append(reinterpret_cast<const char*>(header), n);
    out.append(payload);
}

std::string WsClosePayload(WsCloseCode code, std::string_view reason) {
    if (code == WsCloseCode::kNone) return {};
    const auto c = static_cast<std::uint16_t>(code);
    std::string payload{static_cast<char>(c >> 8), static_cast<char>(c & 0xFF)};
    std::size_t n = std::min(reason.size(), kWsMaxControlPayload - 2);
    while (n > 0 && n < reason.size() && (static_cast<std::uint8_t>(reason[n]) & 0xC0) == 0x80) --n;
    payload.append(reason.substr(0, n));
    return payload;
}

WsEvent WsFrameParser::Fail(WsCloseCode code, std::string why) { return {WsEvent::Kind::kError, std::move(why), code}; }

WsEvent WsFrameParser::Next(std::string_view& data) {
    for (;;) {
        frame_bytes_ = 0;
        if (data.size() < 2) return {};
        const auto b0 = static_cast<std::uint8_t>(data[0]);
        const auto b1 = static_cast<std::uint8_t>(data[1]);
        const bool fin = (b0 & kFin) != 0;
        const std::uint8_t opcode = b0 & 0x0F;
        if ((b0 & kReservedBits) != 0) return Fail(WsCloseCode::kProtocolError, "reserved bits set");
        if (!IsKnownOpcode(opcode)) return Fail(WsCloseCode::kProtocolError, "unknown opcode");
        if ((b1 & kMasked) == 0) return Fail(WsCloseCode::kProtocolError, "client frames must be masked");

        std::size_t header = 2;
        std::uint64_t length = b1 & 0x7F;
        if (length == 126 || length == 127) {
            const std::size_t extra = length == 126 ? 2 : 8;
            if (data.size() < header + extra) return {};
            length = 0;
            for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | static_cast<std::uint8_t>(data[2 + i]);
            if (extra == 8 && (length >> 63) != 0)
                return Fail(WsCloseCode::kProtocolError, "frame length out of range");
            header += extra;
        }
        header += 4;  // the masking key

        if (IsControl(opcode)) {
            if (!fin) return Fail(WsCloseCode::kProtocolError, "fragmented control frame");
            if (length > kWsMaxControlPayload) return Fail(WsCloseCode::kProtocolError, "control frame too long");
        } else {
            const bool continuation = opcode == static_cast<std::uint8_t>(WsOpcode::kContinuation);
            if (continuation && !in_message_) return Fail(WsCloseCode::kProtocolError, "continuation of nothing");
            if (!continuation && in_message_)
                return Fail(WsCloseCode::kProtocolError, "new message inside a fragmented one");
            const std::size_t so_far = continuation ? message_.size() : 0;
            if (length > max_message_bytes_ - so_far)
                return Fail(WsCloseCode::kMessageTooBig,
                            "message larger than " + std::to_string(max_message_bytes_) + " bytes");
        }

        frame_bytes_ = header + static_cast<std::size_t>(length);
        if (data.size() < frame_bytes_) return {};

        std::uint8_t key[4];
        std::memcpy(key, data.data() + header - 4, 4);
        const char* payload = data.data() + header;
        const auto n = static_cast<std::size_t>(length);
        data.remove_prefix(frame_bytes_);
        frame_bytes_ = 0;

        if (IsControl(opcode)) {
            WsEvent event;
            Unmask(event.payload, payload, n, key);
            switch (static_cast<WsOpcode>(opcode)) {
                case WsOpcode::kPing:
                    event.kind = WsEvent::Kind::kPing;
                    return event;
                case WsOpcode::kPong:
                    event.kind = WsEvent::Kind::kPong;
                    return event;
                default:
                    break;
            }
            // A close: empty, or a valid code and a UTF-8 reason.
            if (event.payload.size() == 1) return Fail(WsCloseCode::kProtocolError, "close frame of one byte");
            event.kind = WsEvent::Kind::kClose;
            if (event.payload.empty()) return event;
            const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(event.payload[0]) << 8) |
                                                         static_cast<std::uint8_t>(event.payload[1]));
            if (!IsValidCloseCode(code)) return Fail(WsCloseCode::kProtocolError, "invalid close code");
            event.payload.erase(0, 2);
            if (!IsValidUtf8(event.payload)) return Fail(WsCloseCode::kInvalidPayload, "close reason is not UTF-8");
            event.code = static_cast<WsCloseCode>(code);
            return event;
        }

        if (opcode != static_cast<std::uint8_t>(WsOpcode::kContinuation)) {
            message_opcode_ = static_cast<WsOpcode>(opcode);
            message_.clear();
        }
        Unmask(message_, payload, n, key);
        in_message_ = !fin;
        if (!fin) continue;

        WsEvent event;
        event.payload = std::move(message_);
        message_ = {};
        if (message_opcode_ == WsOpcode::kBinary) {
            event.kind = WsEvent::Kind::kBinary;
            return event;
        }
        if (!IsValidUtf8(event.payload)) return Fail(WsCloseCode::kInvalidPayload, "text message is not UTF-8");
        event.kind = WsEvent::Kind::kText;
        return event;
    }
}

}  // namespace rooms
