#include "layer/compressing_sink.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "digest/sha256.h"
#include "fs/unique_fd.h"
#include "layer/parallel_gzip.h"

namespace kiln::layer {

namespace {
constexpr std::size_t kOutChunk = 128 * 1024;
}

struct CompressingSink::Impl {
  std::filesystem::path path;
  Compression comp;
  fs::UniqueFd fd;
  digest::Sha256 tar_hash;
  digest::Sha256 file_hash;
  std::int64_t in_bytes = 0;
  std::int64_t out_bytes = 0;
  std::unique_ptr<ParallelGzip> gz;
  ZSTD_CCtx* zc = nullptr;
  std::vector<unsigned char> out = std::vector<unsigned char>(kOutChunk);
  bool finished = false;

  ~Impl() {
    if (zc) ZSTD_freeCCtx(zc);
  }

  void emit(const void* p, std::size_t n) {
    if (n == 0) return;
    file_hash.update(p, n);
    out_bytes += static_cast<std::int64_t>(n);
    auto* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd.get(), c, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw SystemError("writing layer file " + path.string(), errno);
      }
      c += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  void zstd_some(const void* data, std::size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data, n, 0};
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      std::size_t left = ZSTD_compressStream2(zc, &o, &in, mode);
      if (ZSTD_isError(left)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(left) + " for " + path.string());
      emit(out.data(), o.pos);
      bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) break;
    }
  }
};

CompressingSink::CompressingSink(const std::filesystem::path& out_file, Compression c, int level, unsigned threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = out_file;
  impl_->comp = c;
  impl_->fd = fs::UniqueFd(::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!impl_->fd.valid())
    throw SystemError("creating layer file " + out_file.string(), errno);
  if (c == Compression::Gzip) {
    Impl* m = impl_.get();
    impl_->gz = std::make_unique<ParallelGzip>([m](const void* p, std::size_t n) { m->emit(p, n); }, level, threads);
  } else if (c == Compression::Zstd) {
    impl_->zc = ZSTD_createCCtx();
    if (!impl_->zc) throw Error("zstd: cannot create context");
    int lvl = level < 0 ? ZSTD_CLEVEL_DEFAULT : level;
    ZSTD_CCtx_setParameter(impl_->zc, ZSTD_c_compressionLevel, lvl);
    ZSTD_CCtx_setParameter(impl_->zc, ZSTD_c_checksumFlag, 1);
    // Always at least one worker, even on one core: zstd's multi-threaded
    // frame format differs from its single-threaded one, and the digest of a
    // layer must not depend on the machine that built it.
    if (threads == 0) threads = default_compression_threads();
    std::size_t rc = ZSTD_CCtx_setParameter(impl_->zc, ZSTD_c_nbWorkers, static_cast<int>(threads));
    if (ZSTD_isError(rc)) throw Error(std::string("zstd: cannot use worker threads: ") + ZSTD_getErrorName(rc));
  }
}

CompressingSink::~CompressingSink() = default;

void CompressingSink::write(const void* data, std::size_t n) {
  if (impl_->finished) throw Error("layer sink written after finish: " + impl_->path.string());
  if (n == 0) return;
  impl_->tar_hash.update(data, n);
  impl_->in_bytes += static_cast<std::int64_t>(n);
  switch (impl_->comp) {
    case Compression::Gzip: impl_->gz->write(data, n); break;
    case Compression::Zstd: impl_->zstd_some(data, n, ZSTD_e_continue); break;
    case Compression::None: impl_->emit(data, n); break;
  }
}

CompressingSink::Totals CompressingSink::finish() {
  if (impl_->finished) throw Error("layer sink finished twice: " + impl_->path.string());
  if (impl_->comp == Compression::Gzip) impl_->gz->finish();
  if (impl_->comp == Compression::Zstd) impl_->zstd_some(nullptr, 0, ZSTD_e_end);
  impl_->finished = true;
  if (::close(impl_->fd.release()) != 0)
    throw SystemError("closing layer file " + impl_->path.string(), errno);
  Totals t;
  t.diff_id = "sha256:" + impl_->tar_hash.hex_final();
  t.digest = "sha256:" + impl_->file_hash.hex_final();
  t.uncompressed_size = impl_->in_bytes;
  t.size = impl_->out_bytes;
  return t;
}

}  // namespace kiln::layer
