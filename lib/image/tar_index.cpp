#include "image/tar_index.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/error.h"

namespace kiln::image {
namespace {

constexpr std::size_t kBlock = 512;

std::string field(std::string_view block, std::size_t off, std::size_t len) {
  std::string_view f = block.substr(off, len);
  auto nul = f.find('\0');
  return std::string(f.substr(0, nul));
}

std::uint64_t octal(std::string_view block, std::size_t off, std::size_t len, const char* what) {
  std::string_view f = block.substr(off, len);
  if (!f.empty() && (static_cast<unsigned char>(f[0]) & 0x80)) {
    // GNU base-256: big-endian, the top bit of the first byte is the marker.
    std::uint64_t v = static_cast<unsigned char>(f[0]) & 0x7f;
    for (std::size_t i = 1; i < f.size(); ++i) {
      if (v >> 56) throw Error(std::string("tar header: ") + what + " too large");
      v = (v << 8) | static_cast<unsigned char>(f[i]);
    }
    return v;
  }
  std::uint64_t v = 0;
  bool digits = false;
  for (char c : f) {
    if (c == '\0' || c == ' ') {
      if (digits) break;
      continue;
    }
    if (c < '0' || c > '7') throw Error(std::string("tar header: invalid ") + what + " field");
    if (v >> 60) throw Error(std::string("tar header: ") + what + " too large");
    v = v * 8 + static_cast<std::uint64_t>(c - '0');
    digits = true;
  }
  return v;
}

std::uint64_t padded(std::uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

std::string strip_dot_slash(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  return name;
}

}  // namespace

std::optional<TarHeader> parse_tar_header(std::string_view block) {
  if (block.size() != kBlock) throw Error("tar header: short block");
  if (block.find_first_not_of('\0') == std::string_view::npos) return std::nullopt;
  // The checksum is the sum of all bytes with the checksum field as spaces.
  std::uint64_t want = octal(block, 148, 8, "checksum");
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i)
    sum += (i >= 148 && i < 156) ? static_cast<unsigned char>(' ') : static_cast<unsigned char>(block[i]);
  if (sum != want) throw Error("tar header: checksum mismatch (not a tar, or a compressed one)");
  TarHeader h;
  h.name = field(block, 0, 100);
  h.type = block[156] == '\0' ? '0' : block[156];
  h.size = octal(block, 124, 12, "size");
  if (block.substr(257, 5) == "ustar") {
    std::string prefix = field(block, 345, 155);
    if (!prefix.empty()) h.name = prefix + "/" + h.name;
  }
  h.name = strip_dot_slash(h.name);
  return h;
}

void apply_pax_records(std::string_view data, TarHeader& next) {
  while (!data.empty()) {
    auto sp = data.find(' ');
    if (sp == std::string_view::npos || sp == 0) throw Error("tar: malformed pax record");
    std::size_t len = 0;
    for (char c : data.substr(0, sp)) {
      if (c < '0' || c > '9' || len > (1u << 30)) throw Error("tar: malformed pax record length");
      len = len * 10 + static_cast<std::size_t>(c - '0');
    }
    if (len <= sp + 1 || len > data.size() || data[len - 1] != '\n') throw Error("tar: malformed pax record");
    std::string_view rec = data.substr(sp + 1, len - sp - 2);
    auto eq = rec.find('=');
    if (eq == std::string_view::npos) throw Error("tar: malformed pax record");
    std::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
    if (key == "path") next.name = strip_dot_slash(std::string(value));
    if (key == "size") {
      std::uint64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || v > (UINT64_MAX / 10)) throw Error("tar: malformed pax size");
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      next.size = v;
    }
    data.remove_prefix(len);
  }
}

std::map<std::string, TarMember> index_tar(const std::filesystem::path& tar) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tar.c_str(), "rb"), &std::fclose);
  if (!f) throw SystemError("opening " + tar.string(), errno);
  std::error_code ec;
  std::uint64_t total = std::filesystem::file_size(tar, ec);
  if (ec) throw IoError("reading " + tar.string() + ": " + ec.message());
  std::map<std::string, TarMember> out;
  std::uint64_t pos = 0;
  std::optional<std::string> long_name;  // GNU 'L'
  std::optional<TarHeader> pax;          // pending pax overrides
  std::string block(kBlock, '\0');
  auto read_at = [&](std::uint64_t off, std::string& buf) {
    if (fseeko(f.get(), static_cast<off_t>(off), SEEK_SET) != 0 ||
        std::fread(buf.data(), 1, buf.size(), f.get()) != buf.size())
      throw Error(tar.string() + ": truncated tar (at byte " + std::to_string(off) + ")");
  };
  try {
    for (;;) {
      if (pos + kBlock > total) throw Error("truncated tar (no end-of-archive marker)");
      read_at(pos, block);
      auto h = parse_tar_header(block);
      if (!h) break;
      pos += kBlock;
      if (h->type == 'x' || h->type == 'L') {
        if (h->size > (16u << 20)) throw Error("tar: oversized extended header");
        if (pos + h->size > total) throw Error("truncated tar");
        std::string data(h->size, '\0');
        read_at(pos, data);
        if (h->type == 'L') {
          long_name = strip_dot_slash(data.substr(0, data.find('\0')));
        } else {
          TarHeader p;
          p.name.clear();
          p.size = UINT64_MAX;
          apply_pax_records(data, p);
          pax = p;
        }
        pos += padded(h->size);
        continue;
      }
      if (long_name) h->name = *long_name;
      if (pax) {
        if (!pax->name.empty()) h->name = pax->name;
        if (pax->size != UINT64_MAX) h->size = pax->size;
      }
      long_name.reset();
      pax.reset();
      if (pos + h->size > total) throw Error("truncated tar: member " + h->name + " runs past the end");
      if (h->type == '0' || h->type == '7') out[h->name] = TarMember{pos, h->size};
      pos += padded(h->size);
    }
  } catch (const Error& e) {
    throw Error("reading " + tar.string() + ": " + e.what());
  }
  return out;
}

}  // namespace kiln::image
