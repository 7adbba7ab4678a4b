#pragma once
// Push-style decompression of a layer blob: compressed bytes in (as they
// arrive from the registry or a file), the plain tar out to a sink. The codec
// is recognised from the first bytes — gzip (any number of members), zstd,
// or neither (a plain tar, passed through) — as the extractor would.
//
// Why not let libarchive decompress: it would do so on the extracting thread.
// Running this on the downloading thread instead puts inflate (the largest
// CPU cost of an unpack) on one core and the file writes on the other.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace kiln::layer {

class Decompressor {
 public:
  using Sink = std::function<void(const char* data, std::size_t n)>;

  // what: named in errors ("layer sha256:…").
  Decompressor(Sink out, std::string what);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  void write(const char* data, std::size_t n);
  // End of input. Throws kiln::Error when the compressed stream stopped
  // before its end (a truncated blob).
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::layer
