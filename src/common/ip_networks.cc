#include "common/ip_networks.h"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace rooms {

namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

/// True when the first `bits` bits of `a` and `b` agree.
bool SamePrefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
    int i = 0;
    for (; bits >= 8; bits -= 8, ++i)
        if (a[i] != b[i]) return false;
    if (bits == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

std::optional<std::array<std::uint8_t, 16>> ParseIpAddress(std::string_view address) {
    const std::string text(address);  // inet_pton wants a terminated string
    std::array<std::uint8_t, 16> out{};
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        out[10] = 0xff;
        out[11] = 0xff;
        const auto* b = reinterpret_cast<const std::uint8_t*>(&v4.s_addr);
        std::copy(b, b + 4, out.begin() + 12);
        return out;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(&v6);
        std::copy(b, b + 16, out.begin());
        return out;
    }
    return std::nullopt;
}

std::optional<IpNetworks> IpNetworks::Parse(std::string_view list, std::string* error) {
    IpNetworks out;
    const auto fail = [&](std::string_view entry, std::string_view why) -> std::optional<IpNetworks> {
        if (error) *error = "'" + std::string(entry) + "' " + std::string(why);
        return std::nullopt;
    };
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view entry = Trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (entry.empty()) continue;
        const auto slash = entry.find('/');
        const auto bytes = ParseIpAddress(entry.substr(0, slash));
        if (!bytes) return fail(entry, "is not an IP address or CIDR block");
        const bool v4 = entry.substr(0, slash).find(':') == std::string_view::npos;
        int bits = 128;
        if (slash != std::string_view::npos) {
            const std::string_view len = entry.substr(slash + 1);
            int n = -1;
            auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
            if (ec != std::errc{} || p != len.data() + len.size() || len.empty() || n < 0 || n > (v4 ? 32 : 128))
                return fail(entry, v4 ? "needs a prefix length 0..32" : "needs a prefix length 0..128");
            bits = v4 ? 96 + n : n;
        }
        // 10.0.0.1/8 is a typo for 10.0.0.0/8 or for 10.0.0.1: say so rather than guess.
        std::array<std::uint8_t, 16> zero = *bytes;
        for (int b = bits; b < 128; ++b) zero[b / 8] &= static_cast<std::uint8_t>(~(0x80 >> (b % 8)));
        if (zero != *bytes) return fail(entry, "has host bits set past its prefix length");
        out.networks_.push_back({*bytes, bits});
    }
    return out;
}

IpNetworks IpNetworks::ParseOrThrow(std::string_view list) {
    std::string error;
    auto parsed = Parse(list, &error);
    if (!parsed) throw std::invalid_argument(error);
    return std::move(*parsed);
}

bool IpNetworks::Contains(std::string_view address) const {
    if (networks_.empty()) return false;
    const auto bytes = ParseIpAddress(address);
    if (!bytes) return false;
    for (const Network& n : networks_)
        if (SamePrefix(*bytes, n.bytes, n.prefix_bits)) return true;
    return false;
}

}  // namespace rooms
