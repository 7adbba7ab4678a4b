#include "layer/parallel_gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "digest/sha256.h"
#include "layer/compressing_sink.h"
#include "random_bytes.h"

namespace kiln::layer {
namespace {

using Bytes = std::vector<unsigned char>;

// Compresses `in`, handing it over in chunks of random size (seeded) so that
// block cuts never line up with write() calls by accident.
Bytes gzip_of(const Bytes& in, unsigned threads, std::size_t block, int level = -1, unsigned seed = 1) {
  Bytes out;
  ParallelGzip gz([&out](const void* p, std::size_t n) {
    auto* c = static_cast<const unsigned char*>(p);
    out.insert(out.end(), c, c + n);
  }, level, threads, block);
  std::mt19937 rng(seed);
  std::size_t pos = 0;
  while (pos < in.size()) {
    std::size_t n = std::min<std::size_t>(in.size() - pos, 1 + rng() % (3 * block / 2));
    gz.write(in.data() + pos, n);
    pos += n;
  }
  gz.finish();
  return out;
}

// zlib's own gzip decoder: checks the header, the deflate data, the CRC-32
// and the length in the trailer, and that nothing follows the member.
Bytes gunzip(const Bytes& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  Bytes out;
  unsigned char buf[65536];
  z.next_in = const_cast<Bytef*>(gz.data());
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = buf;
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.insert(out.end(), buf, buf + (sizeof buf - z.avail_out));
    if (rc == Z_BUF_ERROR) break;
  }
  EXPECT_EQ(rc, Z_STREAM_END) << (z.msg ? z.msg : "truncated stream");
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&z);
  return out;
}

using testing::random_bytes;

// Text-like data with repeats at every distance, some of them across block
// cuts: what the dictionary priming is for.
Bytes compressible_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* words[] = {"usr/", "lib/", "x86_64-linux-gnu/", "libc.so.6 ", "share/doc/", "0644 ",
                                "root ", "\n", "copyright ", "changelog.Debian.gz "};
  Bytes b;
  b.reserve(n);
  while (b.size() < n) {
    const char* w = words[rng() % 10];
    while (*w && b.size() < n) b.push_back(static_cast<unsigned char>(*w++));
  }
  return b;
}

constexpr std::size_t kBlock = 32 * 1024;  // the smallest block: many cuts in little data

TEST(ParallelGzip, RoundTripsRandomAndCompressibleData) {
  for (unsigned threads : {1u, 2u, 4u}) {
    Bytes r = random_bytes(1'000'003, 7);
    EXPECT_EQ(gunzip(gzip_of(r, threads, kBlock)), r) << threads << " threads, random";
    Bytes c = compressible_bytes(2'000'001, 8);
    Bytes gz = gzip_of(c, threads, kBlock);
    EXPECT_EQ(gunzip(gz), c) << threads << " threads, compressible";
    EXPECT_LT(gz.size(), c.size() / 4) << "compressible data did not compress";
  }
}

TEST(ParallelGzip, SameBytesForEveryThreadCountAndChunking) {
  Bytes c = compressible_bytes(1'500'000, 3);
  Bytes ref = gzip_of(c, 1, kBlock, -1, 1);
  for (unsigned threads : {2u, 3u, 8u})
    for (unsigned seed : {2u, 3u}) EXPECT_EQ(gzip_of(c, threads, kBlock, -1, seed), ref) << threads << "/" << seed;
  // Repeated runs on the pool: scheduling differs, bytes must not.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(gzip_of(c, 2, kBlock, -1, 10 + i), ref);
}

TEST(ParallelGzip, DictionaryKeepsRatioCloseToOneStream) {
  // Without priming, each 32 KiB block would start cold and lose matches
  // that reach back across the cut.
  Bytes c = compressible_bytes(2'000'000, 5);
  uLongf bound = compressBound(static_cast<uLong>(c.size()));
  Bytes single(bound);
  ASSERT_EQ(compress2(single.data(), &bound, c.data(), static_cast<uLong>(c.size()), 6), Z_OK);
  Bytes parallel = gzip_of(c, 2, kBlock);
  EXPECT_LT(static_cast<double>(parallel.size()), 1.05 * static_cast<double>(bound) + 64)
      << "parallel " << parallel.size() << " vs single stream " << bound;
}

// Runs of already-compressed bytes between ordinary ones: the stored path
// for some blocks, deflate for the others, one valid stream.
Bytes mixed_bytes(std::size_t runs, unsigned seed) {
  Bytes m;
  for (std::size_t i = 0; i < runs; ++i) {
    Bytes part = i % 2 ? random_bytes(100'000 + 7 * i, seed + i) : compressible_bytes(90'000 + 5 * i, seed + i);
    m.insert(m.end(), part.begin(), part.end());
  }
  return m;
}

TEST(ParallelGzip, IncompressibleBlocksAreStoredAndStaysDeterministic) {
  Bytes m = mixed_bytes(12, 20);
  Bytes ref = gzip_of(m, 1, kBlock, -1, 1);
  EXPECT_EQ(gunzip(ref), m);
  for (unsigned threads : {2u, 3u})
    for (unsigned seed : {2u, 3u}) EXPECT_EQ(gzip_of(m, threads, kBlock, -1, seed), ref) << threads << "/" << seed;
  // Random input comes out as stored blocks: at most 5 bytes a 32 KiB block
  // (one stored block each, with its sync-flush marker) beyond the input.
  Bytes r = random_bytes(40 * kBlock, 21);
  Bytes gz = gzip_of(r, 2, kBlock);
  EXPECT_EQ(gunzip(gz), r);
  EXPECT_LE(gz.size(), r.size() + 40 * 10 + 64);
  // Storing what deflate cannot shrink costs next to nothing in size: the
  // mixed stream stays within 1% of one zlib stream at the same level.
  uLongf bound = compressBound(static_cast<uLong>(m.size()));
  Bytes single(bound);
  ASSERT_EQ(compress2(single.data(), &bound, m.data(), static_cast<uLong>(m.size()), 6), Z_OK);
  EXPECT_LT(static_cast<double>(ref.size()), 1.01 * static_cast<double>(bound) + 64)
      << "parallel " << ref.size() << " vs single stream " << bound;
}

// The same layer bytes on every architecture: this digest was taken on
// amd64, and `make test` runs this test on arm64 under qemu too (and it ran
// on big-endian ppc64). mt19937's output is fixed by the standard.
TEST(ParallelGzip, SameBytesOnEveryArchitecture) {
  Bytes m = mixed_bytes(12, 20);
  Bytes gz = gzip_of(m, 2, kBlock);
  EXPECT_EQ(digest::sha256_hex(std::string_view(reinterpret_cast<const char*>(gz.data()), gz.size())), "497ed4433d13ae32269696cdedf65f2f0864bac978ed005a7f191c34233313a9");
}

TEST(ParallelGzip, EmptyInputIsAValidGzipOfNothing) {
  for (unsigned threads : {1u, 2u}) {
    Bytes gz = gzip_of({}, threads, kBlock);
    ASSERT_GE(gz.size(), 18u);  // header, an empty final block, trailer
    EXPECT_EQ(gz[0], 0x1f);
    EXPECT_EQ(gz[1], 0x8b);
    EXPECT_TRUE(gunzip(gz).empty());
  }
}

TEST(ParallelGzip, SizesAtBlockBoundaries) {
  for (std::size_t n : {std::size_t{1}, kBlock - 1, kBlock, kBlock + 1, 2 * kBlock, 3 * kBlock - 1, 5 * kBlock}) {
    Bytes c = compressible_bytes(n, static_cast<unsigned>(n));
    Bytes one = gzip_of(c, 1, kBlock);
    EXPECT_EQ(gunzip(one), c) << n;
    EXPECT_EQ(gzip_of(c, 2, kBlock), one) << n;
  }
}

TEST(ParallelGzip, HeaderIsContentOnlyAndTrailerCarriesCrcAndLength) {
  Bytes c = compressible_bytes(100'000, 9);
  Bytes gz = gzip_of(c, 2, kBlock, 9);
  // mtime 0, no flags, XFL 2 for level 9 as zlib writes, OS Unix.
  EXPECT_EQ(Bytes(gz.begin(), gz.begin() + 10), (Bytes{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3}));
  auto le32 = [&](std::size_t at) {
    return std::uint32_t(gz[at]) | std::uint32_t(gz[at + 1]) << 8 | std::uint32_t(gz[at + 2]) << 16 |
           std::uint32_t(gz[at + 3]) << 24;
  };
  EXPECT_EQ(le32(gz.size() - 8), crc32(0, c.data(), static_cast<uInt>(c.size())));
  EXPECT_EQ(le32(gz.size() - 4), c.size());
}

TEST(ParallelGzip, OutputFailureSurfacesFromWrite) {
  ParallelGzip gz([](const void*, std::size_t n) {
    if (n > 10) throw IoError("disk full");  // the header (10 bytes) passes
  }, -1, 2, kBlock);
  Bytes c = random_bytes(40 * kBlock, 1);
  EXPECT_THROW(
      {
        gz.write(c.data(), c.size());
        gz.finish();
      },
      IoError);
}

TEST(ParallelGzip, RejectsBadLevel) {
  EXPECT_THROW(ParallelGzip([](const void*, std::size_t) {}, 10, 1), Error);
}

// zstd's multi-threaded frames: the same bytes for any number of workers
// >= 1 (what CompressingSink relies on for machine-independent digests).
TEST(ZstdWorkers, SameFrameForAnyWorkerCount) {
  Bytes c = compressible_bytes(12'000'000, 4);  // several zstd jobs
  auto compress = [&](int workers) {
    ZSTD_CCtx* z = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_nbWorkers, workers))) << "zstd built without threads";
    Bytes out(ZSTD_compressBound(c.size()));
    ZSTD_inBuffer in{c.data(), 0, 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    // Fed in pieces, the way the layer writer feeds it.
    for (std::size_t pos = 0; pos < c.size(); pos += 100'000) {
      in.size = std::min(c.size(), pos + 100'000);
      while (in.pos < in.size) ZSTD_compressStream2(z, &o, &in, ZSTD_e_continue);
    }
    while (ZSTD_compressStream2(z, &o, &in, ZSTD_e_end) != 0) {
    }
    ZSTD_freeCCtx(z);
    out.resize(o.pos);
    return out;
  };
  Bytes one = compress(1);
  EXPECT_EQ(compress(2), one);
  EXPECT_EQ(compress(4), one);
}

// Throughput, run by hand: KILN_GZIP_BENCH=<file> ./unit_layer
// --gtest_filter='*Throughput*'. Writes <file>.t<N>.gz for checking with
// `gzip -t` and prints MB/s per thread count.
TEST(ParallelGzip, Throughput) {
  const char* path = std::getenv("KILN_GZIP_BENCH");
  if (!path) GTEST_SKIP() << "set KILN_GZIP_BENCH to a file to measure";
  std::ifstream f(path, std::ios::binary);
  Bytes in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(in.empty());
  for (unsigned threads : {1u, 2u}) {
    std::string out_path = std::string(path) + ".t" + std::to_string(threads) + ".gz";
    std::FILE* o = std::fopen(out_path.c_str(), "wb");
    ASSERT_NE(o, nullptr);
    std::size_t out_n = 0;
    auto t0 = std::chrono::steady_clock::now();
    {
      ParallelGzip gz([&](const void* p, std::size_t n) {
        std::fwrite(p, 1, n, o);
        out_n += n;
      }, -1, threads);
      for (std::size_t pos = 0; pos < in.size(); pos += 10240) gz.write(in.data() + pos, std::min<std::size_t>(10240, in.size() - pos));
      gz.finish();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fclose(o);
    std::printf("gzip only, threads=%u: %.1f MB in %.2f s = %.1f MB/s -> %.1f MB\n", threads, in.size() / 1e6, s,
                in.size() / 1e6 / s, out_n / 1e6);
  }
  // The whole layer sink: both SHA-256s, compression, the file write.
  for (unsigned threads : {1u, 2u}) {
    std::string out_path = std::string(path) + ".sink" + std::to_string(threads) + ".gz";
    auto t0 = std::chrono::steady_clock::now();
    CompressingSink sink(out_path, Compression::Gzip, -1, threads);
    for (std::size_t pos = 0; pos < in.size(); pos += 10240)
      sink.write(in.data() + pos, std::min<std::size_t>(10240, in.size() - pos));
    auto totals = sink.finish();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("layer sink, threads=%u: %.2f s = %.1f MB/s, %s\n", threads, s, in.size() / 1e6 / s,
                totals.digest.c_str());
  }
}

}  // namespace
}  // namespace kiln::layer
