#pragma once
// The single pass behind a layer: tar bytes go in once; out come the diff_id
// (SHA-256 of the tar), the compressed file, and its digest. Hashing both sides
// here means the two digests can never describe different bytes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "layer/compression.h"

namespace kiln::layer {

class CompressingSink {
 public:
  // level -1 picks the codec's default (gzip 6, zstd 3). threads: how many
  // cores compress (0: all of them, see default_compression_threads). The
  // bytes written do not depend on it (see parallel_gzip.h; zstd's
  // multi-threaded frames are the same for any number of workers >= 1).
  CompressingSink(const std::filesystem::path& out_file, Compression c, int level, unsigned threads = 0);
  ~CompressingSink();
  CompressingSink(const CompressingSink&) = delete;
  CompressingSink& operator=(const CompressingSink&) = delete;

  void write(const void* data, std::size_t n);

  struct Totals {
    std::string diff_id;  // "sha256:…" of the uncompressed bytes
    std::string digest;   // "sha256:…" of the bytes in the file
    std::int64_t uncompressed_size = 0;
    std::int64_t size = 0;
  };
  // Flushes the codec, fsyncs nothing (the caller decides durability), closes
  // the file. No write() afterwards.
  Totals finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::layer
