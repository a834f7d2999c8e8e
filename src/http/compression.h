#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/asio.h"

namespace rooms {

/// True when an Accept-Encoding header value admits gzip (`gzip`, `x-gzip` or `*`, with a q-value above 0).
bool AcceptsGzip(std::string_view accept_encoding);

/// `data` as one gzip member (RFC 1952); nullopt only if zlib fails (out of memory).
std::optional<std::string> Gzip(std::string_view data);

/// Compresses `res`'s body with gzip when it is at least `min_bytes` (0: never) and the request accepts it, and
/// says that the representation varies with Accept-Encoding for every response of that size.
void CompressIfAccepted(const Request& req, Response& res, std::size_t min_bytes);

}  // namespace rooms
