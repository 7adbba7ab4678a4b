#include "objstore/encoding.h"

#include <gtest/gtest.h>

namespace kiln::objstore {
namespace {

TEST(Encoding, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Encoding, Base64RoundTripAndUrlSafe) {
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_decode("Zm9vYg==").value(), "foob");
  EXPECT_FALSE(base64_decode("Zm9v*g==").has_value());
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Encoding, UriEncode) {
  EXPECT_EQ(uri_encode("a b/c~d+e"), "a%20b%2Fc~d%2Be");
  EXPECT_EQ(uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uri_decode("a%20b%2fc%zz%"), "a b/c%zz%");
}

}  // namespace
}  // namespace kiln::objstore
