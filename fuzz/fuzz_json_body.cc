// JSON bodies: the API's request bodies (ParseStringFields with the field lists of every handler) and the
// message record of the Kafka/Redis codec, whose decode must round-trip through encode and whose decoded
// messages must serialize to valid JSON frames for clients.

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_codec.h"
#include "http/json_codec.h"

namespace {

namespace json = boost::json;

[[noreturn]] void Fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_json_body: %s: [%.*s]\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

bool Same(const rooms::Message& a, const rooms::Message& b) {
    return a.id == b.id && a.room_id == b.room_id && a.user_id == b.user_id && a.nickname == b.nickname &&
           a.content == b.content && a.time_created == b.time_created && a.type == b.type;
}

void RequestBody(std::string_view body) {
    // The field lists of api_handlers.cc.
    const auto object = rooms::ParseJsonObject(body);
    for (auto fields :
         {std::initializer_list<std::string_view>{"nickname", "password"},
          std::initializer_list<std::string_view>{"refresh_token"}, std::initializer_list<std::string_view>{"name"}}) {
        auto values = rooms::ParseStringFields(body, fields);
        if (!values) {
            if (values.error().message.empty()) Fail("an error without a message", body);
            if (values.error().code != rooms::ErrorCode::kInvalidArgument) Fail("not an InvalidArgument", body);
            continue;
        }
        if (!object) Fail("fields parsed from a body ParseJsonObject refuses", body);
        if (values->size() != fields.size()) Fail("wrong number of values", body);
        std::size_t i = 0;
        for (std::string_view field : fields) {
            const json::value* v = object->if_contains(field);
            if (!v || !v->is_string() || std::string_view(v->as_string()) != (*values)[i++])
                Fail("a value differs from the body's field", body);
        }
    }
}

void MessageRecord(std::string_view value) {
    auto decoded = rooms::DecodeMessage(value);
    if (!decoded) {
        if (decoded.error().message.empty()) Fail("a decode error without a message", value);
        return;
    }
    const std::string encoded = rooms::EncodeMessage(*decoded);
    auto again = rooms::DecodeMessage(encoded);
    if (!again) Fail("an encoded message does not decode", encoded);
    if (!Same(*decoded, *again)) Fail("decode(encode(m)) != m", encoded);
    if (rooms::EncodeMessage(*again) != encoded) Fail("encoding is not stable", encoded);

    // What clients receive: a JSON object, and the history array of one.
    boost::system::error_code ec;
    const std::string frame = rooms::SerializeMessage(*decoded);
    const json::value parsed = json::parse(frame, ec);
    if (ec || !parsed.is_object()) Fail("SerializeMessage is not a JSON object", frame);
    const std::string history = rooms::SerializeHistory({*decoded, *decoded});
    const json::value parsed_history = json::parse(history, ec);
    if (ec || !parsed_history.is_array() || parsed_history.as_array().size() != 2)
        Fail("SerializeHistory is not a JSON array of the messages", history);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    RequestBody(body);
    MessageRecord(body);
    (void)rooms::SerializeWsError(body.size() <= 4096 ? body : body.substr(0, 4096));
    return 0;
}
