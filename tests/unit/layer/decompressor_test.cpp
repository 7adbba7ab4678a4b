#include "layer/decompressor.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

#include "base/error.h"
#include "layer/parallel_gzip.h"

namespace kiln::layer {
namespace {

std::string sample(std::size_t n) {
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < n) s += "entry-" + std::to_string(rng() % 5000) + "\n";
  s.resize(n);
  return s;
}

std::string gzip_of(const std::string& in) {
  std::string out;
  ParallelGzip gz([&out](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); }, -1, 1);
  gz.write(in.data(), in.size());
  gz.finish();
  return out;
}

std::string zstd_of(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

// Feeds `blob` in pieces of `step` bytes; returns what came out.
std::string run(const std::string& blob, std::size_t step) {
  std::string out;
  Decompressor d([&out](const char* p, std::size_t n) { out.append(p, n); }, "layer test");
  for (std::size_t pos = 0; pos < blob.size(); pos += step) d.write(blob.data() + pos, std::min(step, blob.size() - pos));
  d.finish();
  return out;
}

TEST(Decompressor, GzipZstdAndPlainInAnyChunking) {
  std::string data = sample(700'000);
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, std::size_t{1} << 20}) {
    if (step == 1) {
      std::string small = sample(5000);
      EXPECT_EQ(run(gzip_of(small), 1), small);
      EXPECT_EQ(run(zstd_of(small), 1), small);
      EXPECT_EQ(run(small, 1), small);
      continue;
    }
    EXPECT_EQ(run(gzip_of(data), step), data) << step;
    EXPECT_EQ(run(zstd_of(data), step), data) << step;
    EXPECT_EQ(run(data, step), data) << step;
  }
}

TEST(Decompressor, SeveralGzipMembersAndTrailingZeros) {
  std::string a = sample(100'000), b = "second member\n";
  EXPECT_EQ(run(gzip_of(a) + gzip_of(b), 777), a + b);
  EXPECT_EQ(run(gzip_of(a) + std::string(512, '\0'), 4096), a);
}

TEST(Decompressor, TruncatedStreamsAreErrors) {
  std::string data = sample(300'000);
  std::string gz = gzip_of(data), zs = zstd_of(data);
  EXPECT_THROW(run(gz.substr(0, gz.size() - 9), 4096), Error);
  EXPECT_THROW(run(zs.substr(0, zs.size() / 2), 4096), Error);
}

TEST(Decompressor, CorruptGzipIsAnErrorNamingTheLayer) {
  std::string gz = gzip_of(sample(300'000));
  for (std::size_t i = 20; i < 60; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  try {
    run(gz, 4096);
    FAIL() << "corrupt gzip accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer test"), std::string::npos) << e.what();
  }
}

TEST(Decompressor, EmptyAndTinyPlainInput) {
  EXPECT_EQ(run("", 1), "");
  EXPECT_EQ(run("ab", 1), "ab");
}

}  // namespace
}  // namespace kiln::layer
