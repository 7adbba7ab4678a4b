#pragma once
// The diff_id of a compressed layer blob: SHA-256 of its uncompressed bytes.
// A cached layer is only trusted once both its digest and its diff_id match
// what the cache entry claims (the config would otherwise describe a
// different filesystem than the one the layer holds).
#include <cstddef>
#include <filesystem>
#include <string>

#include "digest/sha256.h"
#include "layer/decompressor.h"

namespace kiln::layer {

// The diff_id computed as the blob's bytes pass by (a download writing them
// to disk), so the blob is not read and inflated a second time. The codec is
// recognised as Decompressor does: gzip, zstd, or neither (hashed as is).
class DiffIdStream {
 public:
  explicit DiffIdStream(std::string what);  // named in errors ("layer sha256:…")
  void write(const char* data, std::size_t n) { plain_.write(data, n); }
  // "sha256:…". Throws kiln::Error when the compressed stream is truncated
  // or corrupt.
  std::string finish();

 private:
  digest::Sha256 hash_;
  Decompressor plain_;
};

// The same for a blob on disk. Throws kiln::Error naming the file.
std::string blob_diff_id(const std::filesystem::path& blob);

}  // namespace kiln::layer
