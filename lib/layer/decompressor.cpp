#include "layer/decompressor.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <vector>

#include "base/error.h"

namespace kiln::layer {

namespace {
constexpr std::size_t kOut = 256 * 1024;
enum class Codec { Unknown, Gzip, Zstd, Plain };
}  // namespace

struct Decompressor::Impl {
  Sink out;
  std::string what;
  Codec codec = Codec::Unknown;
  std::vector<unsigned char> head;  // first bytes, kept until the codec is known
  z_stream z{};
  bool z_live = false;
  bool member_done = false;  // gzip: the last member ended (more may follow)
  bool trailing = false;     // gzip: bytes after the last member that are not a member: ignored, as gzip does
  ZSTD_DCtx* zd = nullptr;
  std::size_t zstd_left = 0;  // ZSTD_decompressStream's hint: 0 when a frame just ended
  bool zstd_any = false;
  std::vector<unsigned char> buf = std::vector<unsigned char>(kOut);

  ~Impl() {
    if (z_live) inflateEnd(&z);
    if (zd) ZSTD_freeDCtx(zd);
  }

  void start_gzip_member() {
    if (!z_live) {
      if (inflateInit2(&z, 15 + 16) != Z_OK) throw Error(what + ": cannot initialise gzip");
      z_live = true;
    } else if (inflateReset(&z) != Z_OK) {
      throw Error(what + ": gzip reset failed");
    }
    member_done = false;
  }

  void gzip(const unsigned char* p, std::size_t n) {
    while (n > 0 && !trailing) {
      if (member_done) {
        // Another member, or padding some tools leave after the stream.
        if (p[0] != 0x1f) {
          trailing = true;
          return;
        }
        start_gzip_member();
      }
      z.next_in = const_cast<Bytef*>(p);
      z.avail_in = static_cast<uInt>(n);
      int rc;
      do {
        z.next_out = buf.data();
        z.avail_out = static_cast<uInt>(buf.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
          throw Error(what + ": gzip data is corrupt (" + (z.msg ? z.msg : "inflate error") + ")");
        std::size_t got = buf.size() - z.avail_out;
        if (got) out(reinterpret_cast<const char*>(buf.data()), got);
      } while (rc == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
      std::size_t used = n - z.avail_in;
      p += used;
      n -= used;
      if (rc == Z_STREAM_END) {
        member_done = true;
      } else if (rc == Z_BUF_ERROR) {
        // No progress with a free output buffer: inflate wants more input.
        if (z.avail_in != 0) throw Error(what + ": gzip data is corrupt (inflate stalled)");
        break;
      }
    }
  }

  void zstd(const unsigned char* p, std::size_t n) {
    ZSTD_inBuffer in{p, n, 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer o{buf.data(), buf.size(), 0};
      std::size_t rc = ZSTD_decompressStream(zd, &o, &in);
      if (ZSTD_isError(rc)) throw Error(what + ": zstd data is corrupt (" + ZSTD_getErrorName(rc) + ")");
      if (o.pos) out(reinterpret_cast<const char*>(buf.data()), o.pos);
      zstd_left = rc;
      zstd_any = true;
    }
  }

  void feed(const unsigned char* p, std::size_t n) {
    switch (codec) {
      case Codec::Gzip: gzip(p, n); break;
      case Codec::Zstd: zstd(p, n); break;
      case Codec::Plain: out(reinterpret_cast<const char*>(p), n); break;
      case Codec::Unknown: break;
    }
  }

  void decide() {
    static const unsigned char kZstd[4] = {0x28, 0xb5, 0x2f, 0xfd};
    if (head.size() >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
      codec = Codec::Gzip;
      start_gzip_member();
    } else if (head.size() >= 4 && std::equal(kZstd, kZstd + 4, head.begin())) {
      codec = Codec::Zstd;
      zd = ZSTD_createDCtx();
      if (!zd) throw Error(what + ": cannot create zstd context");
    } else {
      codec = Codec::Plain;
    }
    std::vector<unsigned char> h;
    h.swap(head);
    feed(h.data(), h.size());
  }
};

Decompressor::Decompressor(Sink out, std::string what) : impl_(std::make_unique<Impl>()) {
  impl_->out = std::move(out);
  impl_->what = std::move(what);
}

Decompressor::~Decompressor() = default;

void Decompressor::write(const char* data, std::size_t n) {
  Impl& m = *impl_;
  auto* p = reinterpret_cast<const unsigned char*>(data);
  if (m.codec == Codec::Unknown) {
    m.head.insert(m.head.end(), p, p + n);
    if (m.head.size() >= 4) m.decide();
    return;
  }
  m.feed(p, n);
}

void Decompressor::finish() {
  Impl& m = *impl_;
  if (m.codec == Codec::Unknown) m.decide();  // fewer than 4 bytes in all
  if (m.codec == Codec::Gzip && !m.member_done)
    throw Error(m.what + ": gzip stream ends early (truncated blob)");
  if (m.codec == Codec::Zstd && (!m.zstd_any || m.zstd_left != 0))
    throw Error(m.what + ": zstd stream ends early (truncated blob)");
}

}  // namespace kiln::layer
