#include "layer/decompressor.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/error.h"

namespace kiln::layer {

namespace {
constexpr std::size_t kOut = 256 * 1024;
constexpr std::size_t kMaxHeader = 1 << 20;
enum class Codec { Unknown, Gzip, Zstd, Plain };
}  // namespace

struct Decompressor::Impl {
  Sink out;
  std::string what;
  Codec codec = Codec::Unknown;
  std::vector<unsigned char> head;  // first bytes, kept until the codec is known
  // isa-l's igzip rather than zlib: the same gzip (header, CRC-32 and size
  // checked), inflated about 2.4 times as fast, which is most of the CPU an
  // unpack costs. The state is large (tens of KB): on the heap with Impl.
  inflate_state z{};
  bool gathering = false;             // gzip: collecting a member's header (see header_gathered)
  std::vector<unsigned char> header;  // what has come of it so far
  bool member_done = false;  // gzip: the last member ended (more may follow)
  bool trailing = false;     // gzip: bytes after the last member that are not a member: ignored, as gzip does
  ZSTD_DCtx* zd = nullptr;
  std::size_t zstd_left = 0;  // ZSTD_decompressStream's hint: 0 when a frame just ended
  bool zstd_any = false;
  std::vector<unsigned char> buf = std::vector<unsigned char>(kOut);

  ~Impl() {
    if (zd) ZSTD_freeDCtx(zd);
  }

  void start_gzip_member() {
    isal_inflate_init(&z);
    z.crc_flag = ISAL_GZIP;  // parse the header, verify the trailer
    member_done = false;
    gathering = true;
    header.clear();
  }

  // isa-l 2.30 parses a member's header wrongly when it comes in pieces: the
  // header's own CRC (FHCRC) fails its check, and a name split between
  // pieces can derail the deflate data after it (both found by feeding the
  // same blob whole and in pieces: tests/fuzz/gzip_stream_fuzz.cpp). Fed in
  // one piece, headers parse right. A blob can arrive cut anywhere, so each
  // member's header is gathered whole here first: the fixed ten bytes, then
  // the optional fields that its flags announce.
  bool header_gathered() const {
    std::size_t at = 10;
    if (header.size() < at) return false;
    const unsigned flags = header[3];
    if (flags & 0x04) {  // FEXTRA: a two-byte length, then that many bytes
      if (header.size() < at + 2) return false;
      at += 2 + (header[at] | (std::size_t{header[at + 1]} << 8));
    }
    for (unsigned field : {0x08u, 0x10u}) {  // FNAME, FCOMMENT: NUL-terminated
      if (!(flags & field)) continue;
      if (header.size() <= at) return false;
      auto nul = std::find(header.begin() + static_cast<std::ptrdiff_t>(at), header.end(), 0);
      if (nul == header.end()) return false;
      at = static_cast<std::size_t>(nul - header.begin()) + 1;
    }
    if (flags & 0x02) at += 2;  // FHCRC: the header's CRC-16
    return header.size() >= at;
  }

  static const char* isal_error(int rc) {
    switch (rc) {
      case ISAL_INVALID_BLOCK: return "invalid deflate block";
      case ISAL_INVALID_SYMBOL: return "invalid code";
      case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
      case ISAL_INVALID_WRAPPER: return "not a gzip header";
      case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
      case ISAL_INCORRECT_CHECKSUM: return "CRC-32 or size does not match the data";
      default: return "inflate error";
    }
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
      if (gathering) {
        header.insert(header.end(), p, p + n);
        if (!header_gathered()) {
          if (header.size() > kMaxHeader) throw Error(what + ": gzip header is longer than 1 MiB");
          return;
        }
        gathering = false;
        std::vector<unsigned char> whole;
        whole.swap(header);
        gzip(whole.data(), whole.size());
        return;
      }
      z.next_in = const_cast<std::uint8_t*>(p);
      z.avail_in = static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
      const std::size_t offered = z.avail_in;
      for (;;) {
        z.next_out = buf.data();
        z.avail_out = static_cast<std::uint32_t>(buf.size());
        int rc = isal_inflate(&z);
        if (rc != ISAL_DECOMP_OK) throw Error(what + ": gzip data is corrupt (" + isal_error(rc) + ")");
        std::size_t got = buf.size() - z.avail_out;
        if (got) out(reinterpret_cast<const char*>(buf.data()), got);
        if (z.block_state == ISAL_BLOCK_FINISH) {
          member_done = true;
          break;
        }
        // A partly filled buffer means all the input there is was used.
        if (z.avail_out != 0) break;
      }
      std::size_t used = offered - z.avail_in;
      p += used;
      n -= used;
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
