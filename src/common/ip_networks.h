#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rooms {

/// A set of IP networks, written as http.trusted_proxies lists them: comma-separated addresses (`10.0.0.1`,
/// `::1`, one host each) or CIDR blocks (`10.0.0.0/8`, `fd00::/8`, `::1/128`). An IPv4 address and its
/// IPv4-mapped IPv6 form (`::ffff:10.0.0.1`, what a dual-stack listener sees) are the same address here.
/// Immutable once parsed: thread-safe.
class IpNetworks {
  public:
    IpNetworks() = default;

    /// The networks of `list`, or nullopt with `error` naming the first malformed entry (an address that is not
    /// one, a prefix length past 32 / 128, host bits set past the prefix).
    static std::optional<IpNetworks> Parse(std::string_view list, std::string* error = nullptr);
    /// Like Parse; throws std::invalid_argument naming the entry. For lists the configuration checked already.
    static IpNetworks ParseOrThrow(std::string_view list);

    /// True when `address` (textual IPv4 or IPv6) lies in one of the networks; false for anything else.
    bool Contains(std::string_view address) const;
    bool empty() const { return networks_.empty(); }

  private:
    struct Network {
        std::array<std::uint8_t, 16> bytes;  // IPv6; IPv4 as IPv4-mapped
        int prefix_bits;                     // 0..128 (IPv4's /n is 96 + n)
    };
    std::vector<Network> networks_;
};

/// `address` (IPv4 or IPv6 text) as 16 bytes, IPv4 as IPv4-mapped; nullopt when it is not an address.
std::optional<std::array<std::uint8_t, 16>> ParseIpAddress(std::string_view address);

}  // namespace rooms
