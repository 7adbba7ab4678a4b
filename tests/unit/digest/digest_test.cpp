#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "digest/digest.h"
#include "digest/sha256.h"

using namespace kiln::digest;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// FIPS 180-2's long vectors: many blocks, so the SHA-NI block loop (where
// the CPU has it) is exercised, not just the padding.
TEST(Sha256, LongVectors) {
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Any split of the input into updates gives the one-shot digest: buffering
// across block boundaries (55, 56, 63, 64, 65 bytes...) is where streaming
// hashes go wrong.
TEST(Sha256, EverySplitOfAMessageAgrees) {
  std::string msg;
  for (int i = 0; i < 300; ++i) msg.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  const std::string whole = sha256_hex(msg);
  for (std::size_t a = 0; a <= msg.size(); a += 7) {
    for (std::size_t b = a; b <= msg.size(); b += 13) {
      Sha256 h;
      h.update(msg.data(), a);
      h.update(msg.data() + a, b - a);
      h.update(msg.data() + b, msg.size() - b);
      ASSERT_EQ(h.hex_final(), whole) << "split at " << a << " and " << b;
    }
  }
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
