#include "common/ip_networks.h"

#include <gtest/gtest.h>

#include <string>

namespace rooms {
namespace {

IpNetworks Parsed(std::string_view list) {
    std::string error;
    auto n = IpNetworks::Parse(list, &error);
    EXPECT_TRUE(n) << list << ": " << error;
    return n ? *n : IpNetworks{};
}

TEST(IpNetworksTest, BareAddressesAreOneHostEach) {
    const IpNetworks n = Parsed("127.0.0.1, ::1");
    EXPECT_TRUE(n.Contains("127.0.0.1"));
    EXPECT_TRUE(n.Contains("::1"));
    EXPECT_FALSE(n.Contains("127.0.0.2"));
    EXPECT_FALSE(n.Contains("::2"));
}

TEST(IpNetworksTest, CidrBlocks) {
    const IpNetworks n = Parsed("10.0.0.0/8,192.168.1.128/25, fd00::/8, ::1/128");
    EXPECT_TRUE(n.Contains("10.0.0.1"));
    EXPECT_TRUE(n.Contains("10.255.255.255"));
    EXPECT_FALSE(n.Contains("11.0.0.0"));
    EXPECT_FALSE(n.Contains("9.255.255.255"));
    EXPECT_TRUE(n.Contains("192.168.1.128"));
    EXPECT_TRUE(n.Contains("192.168.1.255"));
    EXPECT_FALSE(n.Contains("192.168.1.127"));
    EXPECT_TRUE(n.Contains("fd12:3456::1"));
    EXPECT_FALSE(n.Contains("fe80::1"));
    EXPECT_TRUE(n.Contains("::1"));
    EXPECT_FALSE(n.Contains("::"));
}

TEST(IpNetworksTest, Ipv4MappedAddressesMatchTheirIpv4Networks) {
    const IpNetworks n = Parsed("10.0.0.0/8");
    EXPECT_TRUE(n.Contains("::ffff:10.1.2.3")) << "what a dual-stack listener reports for an IPv4 peer";
    EXPECT_FALSE(n.Contains("::ffff:11.1.2.3"));
    EXPECT_FALSE(n.Contains("::a01:203")) << "an IPv4-compatible (not mapped) address is another address";
}

TEST(IpNetworksTest, ZeroPrefixesMatchTheirWholeFamily) {
    const IpNetworks v4 = Parsed("0.0.0.0/0");
    EXPECT_TRUE(v4.Contains("203.0.113.9"));
    EXPECT_FALSE(v4.Contains("2001:db8::1"));
    EXPECT_TRUE(Parsed("::/0").Contains("2001:db8::1"));
}

TEST(IpNetworksTest, EmptyListHoldsNothingAndGarbageIsNeverContained) {
    const IpNetworks none = Parsed(" , ");
    EXPECT_TRUE(none.empty());
    EXPECT_FALSE(none.Contains("127.0.0.1"));
    const IpNetworks n = Parsed("10.0.0.0/8");
    EXPECT_FALSE(n.Contains("unknown"));
    EXPECT_FALSE(n.Contains(""));
    EXPECT_FALSE(n.Contains("10.0.0.1/8"));
}

TEST(IpNetworksTest, MalformedEntriesAreNamed) {
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "localhost",
                            "10.0.0.256", "10.0.0.1/8", "fd00::1/8", "1.2.3.4, nope"}) {
        std::string error;
        EXPECT_FALSE(IpNetworks::Parse(bad, &error)) << bad;
        EXPECT_NE(error.find('\''), std::string::npos) << bad << ": " << error;
    }
    EXPECT_THROW(IpNetworks::ParseOrThrow("10.0.0.0/40"), std::invalid_argument);
}

}  // namespace
}  // namespace rooms
