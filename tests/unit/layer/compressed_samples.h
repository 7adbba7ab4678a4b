#pragma once
// Compressible test data and its gzip / zstd forms, for the tests of what
// reads layer blobs (Decompressor, DiffIdStream).
#include <zstd.h>

#include <random>
#include <string>

#include "layer/parallel_gzip.h"

namespace kiln::layer::testing {

// n bytes of short numbered lines (compresses well, not trivially).
inline std::string sample_lines(std::size_t n, unsigned seed = 42) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) s += "entry-" + std::to_string(rng() % 5000) + "\n";
  s.resize(n);
  return s;
}

// One gzip member per 1 MiB block with several threads, as kiln writes layers.
inline std::string gzip_of(const std::string& in, unsigned threads = 1) {
  std::string out;
  ParallelGzip gz([&out](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); }, -1, threads);
  gz.write(in.data(), in.size());
  gz.finish();
  return out;
}

inline std::string zstd_of(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

}  // namespace kiln::layer::testing
