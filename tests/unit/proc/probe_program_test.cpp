#include "proc/probe_program.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "image/platform.h"

namespace kiln::proc {
namespace {

image::Platform linux_(const std::string& arch, const std::string& variant = "") {
  image::Platform p;
  p.architecture = arch;
  p.variant = variant;
  return p;
}

std::uint64_t field(const std::string& elf, std::size_t at, int n) {
  const bool big = elf[5] == 2;
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    auto b = static_cast<unsigned char>(elf[at + static_cast<std::size_t>(big ? i : n - 1 - i)]);
    v = v << 8 | b;
  }
  return v;
}

struct Expect {
  const char* arch;
  int elf_class;  // 1: 32-bit, 2: 64-bit
  int data;       // 1: little-endian, 2: big-endian
  int machine;
};

TEST(ProbeProgram, HeadersNameEachArchitecture) {
  for (const Expect& e : {Expect{"amd64", 2, 1, 62}, Expect{"386", 1, 1, 3}, Expect{"arm64", 2, 1, 183},
                          Expect{"arm", 1, 1, 40}, Expect{"s390x", 2, 2, 22}, Expect{"ppc64le", 2, 1, 21},
                          Expect{"riscv64", 2, 1, 243}}) {
    auto elf = probe_program(linux_(e.arch));
    ASSERT_TRUE(elf) << e.arch;
    ASSERT_GT(elf->size(), 64u) << e.arch;
    EXPECT_EQ(elf->substr(0, 4), "\x7f" "ELF") << e.arch;
    EXPECT_EQ((*elf)[4], e.elf_class) << e.arch;
    EXPECT_EQ((*elf)[5], e.data) << e.arch;
    EXPECT_EQ(field(*elf, 16, 2), 2u) << e.arch;  // ET_EXEC
    EXPECT_EQ(field(*elf, 18, 2), static_cast<std::uint64_t>(e.machine)) << e.arch;
    // The entry point lies inside the one loaded segment, past the headers.
    const bool wide = e.elf_class == 2;
    std::uint64_t entry = field(*elf, 24, wide ? 8 : 4);
    std::uint64_t headers = wide ? 64 + 56 : 52 + 32;
    EXPECT_EQ(entry, 0x400000 + headers) << e.arch;
    EXPECT_LT(headers, elf->size()) << e.arch;
  }
}

TEST(ProbeProgram, SpellingsOfOnePlatformGiveOneProgram) {
  EXPECT_EQ(probe_program(linux_("aarch64")), probe_program(linux_("arm64", "v8")));
  EXPECT_EQ(probe_program(linux_("x86_64")), probe_program(linux_("amd64")));
  EXPECT_EQ(probe_program(linux_("armhf")), probe_program(linux_("arm", "v7")));
}

TEST(ProbeProgram, NoneForWhatItHasNoCodeFor) {
  EXPECT_FALSE(probe_program(linux_("mips64le")));
  image::Platform windows = linux_("amd64");
  windows.os = "windows";
  EXPECT_FALSE(probe_program(windows));
}

}  // namespace
}  // namespace kiln::proc
