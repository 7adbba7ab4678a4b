#include "layer/decompressor.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>

#include "base/error.h"
#include "compressed_samples.h"
#include "layer/parallel_gzip.h"

namespace kiln::layer {
namespace {

using testing::gzip_of;
using testing::zstd_of;
std::string sample(std::size_t n) { return testing::sample_lines(n); }

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

// gzip as other tools write it: a file name, a comment and an extra field in
// the header (gzip(1), Python), stored blocks for data that does not compress.
std::string zlib_gzip_with_header(const std::string& in, int level) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  static char name[] = "layer.tar", comment[] = "made by zlib";
  static unsigned char extra[] = {'k', 'l', 4, 0, 1, 2, 3, 4};
  gz_header h{};
  h.name = reinterpret_cast<Bytef*>(name);
  h.comment = reinterpret_cast<Bytef*>(comment);
  h.extra = extra;
  h.extra_len = sizeof extra;
  h.hcrc = 1;
  EXPECT_EQ(deflateSetHeader(&z, &h), Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(Decompressor, GzipHeadersWithNameCommentAndExtraAndStoredBlocks) {
  std::string text = sample(200'000);
  std::string noise;
  std::mt19937 rng(7);
  for (int i = 0; i < 300'000; ++i) noise.push_back(static_cast<char>(rng()));
  for (std::size_t step : {std::size_t{5}, std::size_t{4096}}) {
    EXPECT_NO_THROW(EXPECT_EQ(run(zlib_gzip_with_header(text, 9), step), text)) << step;
    EXPECT_NO_THROW(EXPECT_EQ(run(zlib_gzip_with_header(noise, 0), step), noise)) << step;  // stored blocks only
    EXPECT_NO_THROW(EXPECT_EQ(run(zlib_gzip_with_header(noise, 6), step), noise)) << step;
  }
}

// The trailer's CRC-32 and size are checked: a flipped bit there (the data
// itself intact) is refused, as is a stream cut inside the trailer.
// Every way of cutting a two-member blob whose headers carry optional fields
// gives the same answer (isa-l alone misparses headers that come in pieces).
TEST(Decompressor, HeadersCutAnywhereAgree) {
  std::string a = sample(3000), b = sample(500);
  std::string blob = zlib_gzip_with_header(a, 6) + zlib_gzip_with_header(b, 1);
  for (std::size_t step = 1; step <= 48; ++step) ASSERT_NO_THROW(EXPECT_EQ(run(blob, step), a + b)) << step;
}

TEST(Decompressor, GzipTrailerIsVerified) {
  std::string data = sample(300'000);
  std::string gz = gzip_of(data);
  std::string bad_crc = gz, bad_size = gz;
  bad_crc[gz.size() - 8] = static_cast<char>(bad_crc[gz.size() - 8] ^ 1);
  bad_size[gz.size() - 1] = static_cast<char>(bad_size[gz.size() - 1] ^ 1);
  EXPECT_THROW(run(bad_crc, 4096), Error);
  EXPECT_THROW(run(bad_size, 3), Error);
  EXPECT_THROW(run(gz.substr(0, gz.size() - 3), 4096), Error);
  EXPECT_EQ(run(gz, 3), data);
}

TEST(Decompressor, EmptyAndTinyPlainInput) {
  EXPECT_EQ(run("", 1), "");
  EXPECT_EQ(run("ab", 1), "ab");
}

}  // namespace
}  // namespace kiln::layer
