#pragma once

// The WebSocket framing of RFC 6455, without I/O: encoding the server's (unmasked) frames and parsing the client's
// (masked) ones. No extension is negotiated, so every reserved bit must be clear.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rooms {

enum class WsOpcode : std::uint8_t {
    kContinuation = 0x0,
    kText = 0x1,
    kBinary = 0x2,
    kClose = 0x8,
    kPing = 0x9,
    kPong = 0xA,
};

/// The close codes this server sends (RFC 6455 §7.4.1).
enum class WsCloseCode : std::uint16_t {
    kNone = 0,  // a close frame without a code
    kNormal = 1000,
    kGoingAway = 1001,
    kProtocolError = 1002,
    kUnsupportedData = 1003,
    kInvalidPayload = 1007,
    kPolicyViolation = 1008,
    kMessageTooBig = 1009,
    kInternalError = 1011,
    /// Ours (RFC 6455 §7.4.2 leaves 4000-4999 to applications): the login session behind the socket ended, its
    /// access token expired ("token expired") or its session was revoked ("session revoked"). A client refreshes
    /// its tokens and reconnects; when the refresh fails, its user must log in again. docs/API.md.
    kSessionEnded = 4001,
};

/// The longest frame header: 2 bytes, 8 of extended length (a server frame has no mask).
inline constexpr std::size_t kWsMaxHeaderBytes = 10;
/// A control frame's payload is at most this long (§5.5); a close reason is 2 bytes shorter.
inline constexpr std::size_t kWsMaxControlPayload = 125;

/// Appends one complete, unmasked frame (header and payload) to `out`.
void AppendWsFrame(std::string& out, WsOpcode opcode, std::string_view payload);

/// Writes the header of one complete, unmasked frame of `payload_size` bytes into `out`; returns its length.
std::size_t EncodeWsHeader(std::uint8_t (&out)[kWsMaxHeaderBytes], WsOpcode opcode, std::size_t payload_size);

/// The payload of a close frame: the code in network order, then the reason cut to fit a control frame (at a
/// UTF-8 boundary). kNone gives an empty payload.
std::string WsClosePayload(WsCloseCode code, std::string_view reason);

/// What the parser found in the bytes it was given.
struct WsEvent {
    enum class Kind {
        kNeedMore,  // no complete frame yet: read more and call again with everything not consumed
        kText,      // a complete text message (fragments joined, UTF-8 checked), in `payload`
        kBinary,    // a complete binary message
        kPing,      // `payload` is to be echoed in a pong
        kPong,
        kClose,  // the peer's close: `code` (kNone when it sent none) and `payload` = the reason
        kError,  // the peer broke the protocol or a limit: close with `code`, `payload` says why
    };
    Kind kind = Kind::kNeedMore;
    std::string payload;
    WsCloseCode code = WsCloseCode::kNone;
};

/// Parses the frames a client sends into messages and control events: unmasks, joins fragments, checks the
/// rules of §5 (masking, reserved bits, opcodes, control frame size and fragmentation, continuation order), the
/// message size limit (checked on each frame's declared length, before its bytes arrive) and text being UTF-8.
/// After a kError the connection is to be failed; the parser is not used again.
class WsFrameParser {
  public:
    explicit WsFrameParser(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    /// The next event from the front of `data`; consumed bytes are removed from it. Call again while the result is
    /// not kNeedMore. Data frames that do not end a message are consumed without an event.
    WsEvent Next(std::string_view& data);

    /// How many bytes the frame at the front of the unconsumed data needs in all, once its header is complete
    /// (0 before): lets the reader size its buffer.
    std::size_t frame_bytes() const { return frame_bytes_; }
    /// True between the first and the last frame of a fragmented message.
    bool in_message() const { return in_message_; }

  private:
    WsEvent Fail(WsCloseCode code, std::string why);

    const std::size_t max_message_bytes_;
    bool in_message_ = false;
    WsOpcode message_opcode_ = WsOpcode::kText;
    std::string message_;  // the fragments of the message so far
    std::size_t frame_bytes_ = 0;
};

}  // namespace rooms
