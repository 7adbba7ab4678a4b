#include "proc/probe_program.h"

#include <cstdint>
#include <vector>

#include "image/platform.h"

namespace kiln::proc {
namespace {

// What differs between architectures: the ELF header's class, byte order,
// machine and flags, and the three or four instructions of exit(42).
struct Arch {
  bool wide;        // ELFCLASS64
  bool big_endian;  // ELFDATA2MSB
  std::uint16_t machine;
  std::uint32_t flags;
  std::vector<std::uint8_t> code;
};

std::optional<Arch> arch_of(const image::Platform& p) {
  const std::string& a = p.architecture;
  // Instruction words are written in the architecture's byte order.
  if (a == "amd64")  // mov edi,42; mov eax,60 (exit); syscall
    return Arch{true, false, 62, 0, {0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05}};
  if (a == "386")  // mov ebx,42; mov eax,1 (exit); int 0x80
    return Arch{false, false, 3, 0, {0xbb, 42, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xcd, 0x80}};
  if (a == "arm64")  // mov x0,#42; mov x8,#93 (exit); svc #0
    return Arch{true, false, 183, 0, {0x40, 0x05, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4}};
  if (a == "arm")  // mov r0,#42; mov r7,#1 (exit); svc #0 — EABI version 5
    return Arch{false, false, 40, 0x05000000, {0x2a, 0x00, 0xa0, 0xe3, 0x01, 0x70, 0xa0, 0xe3, 0x00, 0x00, 0x00, 0xef}};
  if (a == "s390x")  // lghi %r2,42; svc 1 (exit)
    return Arch{true, true, 22, 0, {0xa7, 0x29, 0x00, 0x2a, 0x0a, 0x01}};
  if (a == "ppc64le")  // li r3,42; li r0,1 (exit); sc — ELFv2, so the entry is code, not a descriptor
    return Arch{true, false, 21, 2, {0x2a, 0x00, 0x60, 0x38, 0x01, 0x00, 0x00, 0x38, 0x02, 0x00, 0x00, 0x44}};
  if (a == "riscv64")  // li a0,42; li a7,93 (exit); ecall
    return Arch{true, false, 243, 0, {0x13, 0x05, 0xa0, 0x02, 0x93, 0x08, 0xd0, 0x05, 0x73, 0x00, 0x00, 0x00}};
  return std::nullopt;
}

class Writer {
 public:
  explicit Writer(bool big_endian) : big_(big_endian) {}
  void bytes(const std::vector<std::uint8_t>& b) { out_.append(b.begin(), b.end()); }
  void u16(std::uint64_t v) { put(v, 2); }
  void u32(std::uint64_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  // An address or offset: 8 bytes in a 64-bit ELF, 4 in a 32-bit one.
  void word(bool wide, std::uint64_t v) { put(v, wide ? 8 : 4); }
  std::string take() { return std::move(out_); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      int shift = 8 * (big_ ? n - 1 - i : i);
      out_.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  bool big_;
  std::string out_;
};

}  // namespace

std::optional<std::string> probe_program(const image::Platform& platform) {
  auto arch = arch_of(image::normalize(platform));
  if (!arch || platform.os != "linux") return std::nullopt;
  const bool w = arch->wide;
  const std::uint64_t ehsize = w ? 64 : 52, phsize = w ? 56 : 32, base = 0x400000;
  const std::uint64_t code_at = ehsize + phsize, total = code_at + arch->code.size();
  Writer out(arch->big_endian);
  // ELF header: magic, class, data, version 1, System V ABI.
  out.bytes({0x7f, 'E', 'L', 'F', static_cast<std::uint8_t>(w ? 2 : 1), static_cast<std::uint8_t>(arch->big_endian ? 2 : 1),
             1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  out.u16(2);  // ET_EXEC
  out.u16(arch->machine);
  out.u32(1);
  out.word(w, base + code_at);  // entry
  out.word(w, ehsize);          // program headers right after this header
  out.word(w, 0);               // no section headers
  out.u32(arch->flags);
  out.u16(ehsize);
  out.u16(phsize);
  out.u16(1);
  out.u16(0);
  out.u16(0);
  out.u16(0);
  // One PT_LOAD mapping the whole file read+execute; its field order differs
  // between the classes (p_flags comes second in a 64-bit ELF).
  out.u32(1);
  if (w) out.u32(5);
  out.word(w, 0);
  out.word(w, base);
  out.word(w, base);
  out.word(w, total);
  out.word(w, total);
  if (!w) out.u32(5);
  out.word(w, 0x10000);
  out.bytes(arch->code);
  return out.take();
}

}  // namespace kiln::proc
