#include "http/compression.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace rooms {
namespace {

/// Inflates one gzip member (what a client does with Content-Encoding: gzip).
std::string Gunzip(const std::string& data) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    std::string out;
    char buf[16384];
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    }
    EXPECT_EQ(rc, Z_STREAM_END);
    inflateEnd(&z);
    return out;
}

TEST(CompressionTest, AcceptEncodingIsReadAsRfc9110Says) {
    EXPECT_TRUE(AcceptsGzip("gzip"));
    EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
    EXPECT_TRUE(AcceptsGzip("br;q=1.0, GZIP;q=0.5"));
    EXPECT_TRUE(AcceptsGzip("x-gzip"));
    EXPECT_TRUE(AcceptsGzip("*"));
    EXPECT_FALSE(AcceptsGzip(""));
    EXPECT_FALSE(AcceptsGzip("identity"));
    EXPECT_FALSE(AcceptsGzip("deflate, br"));
    EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
    EXPECT_FALSE(AcceptsGzip("*, gzip;q=0")) << "gzip named with q=0 is refused whatever * says";
    EXPECT_FALSE(AcceptsGzip("*;q=0"));
    EXPECT_FALSE(AcceptsGzip("gzip;q=zero"));
}

TEST(CompressionTest, GzipRoundTrips) {
    std::string text;
    for (int i = 0; i < 2000; ++i) text += R"({"id":")" + std::to_string(i) + R"(","name":"room"},)";
    auto gz = Gzip(text);
    ASSERT_TRUE(gz);
    EXPECT_LT(gz->size(), text.size() / 4);
    EXPECT_EQ(Gunzip(*gz), text);
    EXPECT_EQ(Gunzip(*Gzip("")), "");
}

TEST(CompressionTest, OnlyLargeBodiesForClientsThatAcceptIt) {
    const std::string big(5000, 'a');
    Request accepts;
    accepts.set(http::field::accept_encoding, "gzip");
    Request plain;

    Response res{http::status::ok, 11};
    res.body() = big;
    CompressIfAccepted(accepts, res, 1024);
    EXPECT_EQ(res[http::field::content_encoding], "gzip");
    EXPECT_EQ(res[http::field::vary], "Accept-Encoding");
    EXPECT_EQ(Gunzip(res.body()), big);

    Response identity{http::status::ok, 11};
    identity.body() = big;
    CompressIfAccepted(plain, identity, 1024);
    EXPECT_EQ(identity.body(), big);
    EXPECT_FALSE(identity.count(http::field::content_encoding));
    EXPECT_EQ(identity[http::field::vary], "Accept-Encoding") << "caches must know it varies";

    Response small{http::status::ok, 11};
    small.body() = "[]";
    CompressIfAccepted(accepts, small, 1024);
    EXPECT_EQ(small.body(), "[]");
    EXPECT_FALSE(small.count(http::field::content_encoding));

    Response off{http::status::ok, 11};
    off.body() = big;
    CompressIfAccepted(accepts, off, 0);
    EXPECT_EQ(off.body(), big) << "0 turns it off";
}

}  // namespace
}  // namespace rooms
