#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/types.h"

namespace rooms {

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

/// Decodes the code point at s[i] into `cp`; returns its length in bytes, or 0 when the sequence there is malformed
/// (overlong, a surrogate, above U+10FFFF, cut short).
std::size_t DecodeCodePoint(std::string_view s, std::size_t i, char32_t& cp);

/// Number of code points in valid UTF-8.
std::size_t CodePointCount(std::string_view s);

/// True when `s` holds only Unicode white space (or nothing).
bool IsBlank(std::string_view s);

/// True when `s` contains a C0/C1 control character or DEL.
bool HasControlCharacters(std::string_view s);

/// RFC 3339 UTC with microseconds: 2026-11-29T02:31:00.123456Z.
std::string FormatTime(TimePoint t);

/// Parses a decimal id ("42"); nullopt for anything else (signs, spaces, overflow, zero or negative).
std::optional<std::int64_t> ParseId(std::string_view s);

}  // namespace rooms
