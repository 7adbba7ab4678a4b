#include "layer/incompressible.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "random_bytes.h"

namespace kiln::layer {
namespace {

using Bytes = std::vector<unsigned char>;
constexpr std::size_t kBlock = 256 * 1024;

using testing::random_bytes;

Bytes text(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* words[] = {"the ", "layer ", "image ", "of ", "a ", "build ", "registry ", "\n", "kiln ", "step "};
  Bytes b;
  while (b.size() < n) for (const char* w = words[rng() % 10]; *w && b.size() < n; ++w) b.push_back(*w);
  return b;
}

Bytes deflated(const Bytes& in) {
  uLongf n = compressBound(static_cast<uLong>(in.size()));
  Bytes out(n);
  EXPECT_EQ(compress2(out.data(), &n, in.data(), static_cast<uLong>(in.size()), 9), Z_OK);
  out.resize(n);
  return out;
}

bool alone(const Bytes& block) { return incompressible({}, block); }

TEST(Incompressible, RandomBytesAre) {
  EXPECT_TRUE(alone(random_bytes(kBlock, 1)));
  EXPECT_TRUE(alone(random_bytes(kIncompressibleMinBlock, 2)));
}

TEST(Incompressible, AlreadyCompressedDataIs) {
  Bytes gz = deflated(text(4 * kBlock, 3));
  ASSERT_GT(gz.size(), 8192u);
  EXPECT_TRUE(alone(Bytes(gz.begin() + 64, gz.end())));  // past zlib's first header bits
}

TEST(Incompressible, OrdinaryDataIsNot) {
  EXPECT_FALSE(alone(text(kBlock, 4)));
  EXPECT_FALSE(alone(Bytes(kBlock, 0)));
  Bytes hex;  // 4 bits a byte: Huffman alone halves it
  for (unsigned char c : random_bytes(kBlock, 5)) hex.push_back("0123456789abcdef"[c & 15]);
  EXPECT_FALSE(alone(hex));
}

TEST(Incompressible, SmallBlocksAreAlwaysDeflated) {
  EXPECT_FALSE(alone(random_bytes(kIncompressibleMinBlock - 1, 6)));
  EXPECT_FALSE(alone({}));
}

// Bytes of high entropy that repeat within deflate's 32 KiB: the histogram
// says random, the repeats say deflate halves it.
TEST(Incompressible, RepeatsWithinTheWindowMakeItCompressible) {
  Bytes pattern = random_bytes(8 * 1024, 7);
  Bytes block;
  while (block.size() < kBlock) block.insert(block.end(), pattern.begin(), pattern.end());
  EXPECT_FALSE(alone(block));
  // A repeat one byte out of step with every earlier copy still counts.
  Bytes shifted(block.begin() + 1, block.end());
  EXPECT_FALSE(alone(shifted));
}

TEST(Incompressible, RepeatsOfThePreviousBlockCount) {
  Bytes window = random_bytes(32 * 1024, 8);
  Bytes block = window;  // the block repeats what came before it
  EXPECT_TRUE(alone(block));
  EXPECT_FALSE(incompressible(window, block));
  // Farther back than 32 KiB, deflate cannot reach it.
  Bytes far = window;
  Bytes gap = random_bytes(32 * 1024, 9);
  far.insert(far.end(), gap.begin(), gap.end());
  EXPECT_TRUE(incompressible(far, block));
}

TEST(Incompressible, AFewRepeatsInRandomDataDoNotTipIt) {
  Bytes block = random_bytes(kBlock, 10);
  for (std::size_t at = 1000; at + 64 < block.size(); at += 16 * 1024)  // 16 copies of 48 bytes: 0.3%
    std::copy(block.begin() + at - 900, block.begin() + at - 852, block.begin() + at);
  EXPECT_TRUE(alone(block));
}

}  // namespace
}  // namespace kiln::layer
