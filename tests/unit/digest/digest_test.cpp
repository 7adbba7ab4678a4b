#include <gtest/gtest.h>

#include "base/error.h"
#include "digest/digest.h"
#include "digest/sha256.h"

using namespace kiln::digest;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, StreamingEqualsOneShot) {
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.hex_final(), sha256_hex("abc"));
}

TEST(Digest, ParseAndValidate) {
  auto d = parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(d.algorithm, "sha256");
  EXPECT_EQ(d.str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_FALSE(is_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  EXPECT_FALSE(is_valid("sha256:abc"));
  EXPECT_FALSE(is_valid("md5:e3b0c44298fc1c149afbf4c8996fb924"));
  EXPECT_FALSE(is_valid("sha256:../../../../etc/passwdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
  EXPECT_THROW(parse("nope"), kiln::Error);
}
