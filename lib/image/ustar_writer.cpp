#include "image/ustar_writer.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/error.h"

namespace kiln::image {

namespace {

constexpr std::size_t kBlock = 512;

void octal(char* field, std::size_t width, std::uint64_t v) {
  // width-1 digits, NUL-terminated, zero-padded.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(v));
}

}  // namespace

UstarWriter::UstarWriter(const std::filesystem::path& out) : path_(out), out_(out, std::ios::binary | std::ios::trunc) {
  if (!out_) throw IoError("creating " + out.string());
}

void UstarWriter::put(const char* p, std::size_t n) {
  out_.write(p, static_cast<std::streamsize>(n));
  if (!out_) throw IoError("writing " + path_.string());
}

void UstarWriter::header(std::string_view name, std::uint64_t size) {
  if (name.empty() || name.size() > 100) throw Error("tar member name '" + std::string(name) + "' does not fit ustar");
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), name.data(), name.size());
  octal(&h[100], 8, 0644);
  octal(&h[108], 8, 0);
  octal(&h[116], 8, 0);
  if (size < 077777777777ULL) {
    octal(&h[124], 12, size);
  } else {
    // GNU base-256 size for members of 8 GiB and more (read by every tar
    // reader docker and skopeo use).
    h[124] = static_cast<char>(0x80);
    for (int i = 11; i >= 4; --i, size >>= 8) h[124 + i] = static_cast<char>(size & 0xff);
  }
  octal(&h[136], 12, 0);
  h[156] = '0';
  std::memcpy(&h[257], "ustar", 6);
  std::memcpy(&h[263], "00", 2);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(&h[148], 8, "%06o", sum);
  h[155] = ' ';
  put(h.data(), h.size());
}

void UstarWriter::pad(std::uint64_t size) {
  static const char zeros[kBlock] = {};
  std::size_t rem = size % kBlock;
  if (rem) put(zeros, kBlock - rem);
}

void UstarWriter::add(std::string_view name, std::string_view bytes) {
  header(name, bytes.size());
  put(bytes.data(), bytes.size());
  pad(bytes.size());
}

void UstarWriter::add_file(std::string_view name, const std::filesystem::path& src) {
  std::ifstream in(src, std::ios::binary);
  if (!in) throw IoError("opening " + src.string());
  std::error_code ec;
  std::uint64_t size = std::filesystem::file_size(src, ec);
  if (ec) throw IoError("stat " + src.string() + ": " + ec.message());
  header(name, size);
  std::vector<char> buf(256 * 1024);
  std::uint64_t left = size;
  while (left > 0) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size())));
    std::streamsize got = in.gcount();
    if (got <= 0) throw IoError(src.string() + " shrank while being archived");
    put(buf.data(), static_cast<std::size_t>(got));
    left -= static_cast<std::uint64_t>(got);
  }
  pad(size);
}

void UstarWriter::finish() {
  static const char zeros[2 * kBlock] = {};
  put(zeros, sizeof zeros);
  out_.close();
  if (!out_) throw IoError("closing " + path_.string());
}

void write_tarball(const std::filesystem::path& out, const std::function<void(UstarWriter&)>& fill) {
  auto tmp = out;
  tmp += ".partial";
  try {
    UstarWriter tar(tmp);
    fill(tar);
    tar.finish();
    std::filesystem::rename(tmp, out);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace kiln::image
