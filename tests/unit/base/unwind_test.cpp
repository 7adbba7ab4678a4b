// Values a function keeps in callee-saved registers survive a C++ exception
// thrown and caught below it. On big-endian ppc64, zig 0.11's libunwind
// (LLVM 16) restored the condition register from the wrong half of its
// 32-bit save slot, so booleans the compiler keeps in cr2-cr4 came back
// flipped after a catch: gtest's repeat loop never ended (unit_fs hung) and
// unit_registry crashed. kiln links ppc64 against a patched libunwind
// (scripts/toolchain/zig-lib-patched.sh); this is the regression test.
#include <gtest/gtest.h>

namespace {

#define KILN_NOINLINE __attribute__((noinline))

volatile int sink;
volatile int minus_one = -1;
volatile int one = 1;

KILN_NOINLINE void maybe_throw(int x) {
  if (x > 0) throw x;
}

// Uses (and so saves, with .cfi_offset cr2..cr4) the non-volatile CR fields.
KILN_NOINLINE int uses_cr_then_throws(int a, int b, int c) {
  bool p = a < 0, q = b < 0, r = c < 0;
  for (int i = 0; i < 3; ++i) {
    maybe_throw(i == 2 && sink >= 0);
    if (p) sink = 1;
    if (q) sink = 2;
    if (r) sink = 3;
  }
  return p + q + r;
}

// Returns a bit for each boolean that changed across a caught exception.
KILN_NOINLINE int flags_across_catch(int a) {
  bool p = a > 5, q = a > 6, r = a > 7;  // all false for a == 1
  int changed = 0;
  for (int i = 0; i < 3; ++i) {
#if defined(__powerpc64__) && defined(_CALL_ELF) && _CALL_ELF == 2
    // Non-zero bits in the frame header's reserved word (r1+12), the word
    // after the CR save slot (r1+8) that the callee writes: what the broken
    // unwinder took as CR on big-endian.
    __asm__ volatile("li 0,-1\n\tstw 0,12(1)" ::: "r0", "memory");
#endif
    try {
      uses_cr_then_throws(minus_one, minus_one, minus_one);
    } catch (int) {
    }
    if (p) changed |= 1;
    if (q) changed |= 2;
    if (r) changed |= 4;
    if (p) sink = 10;
    if (q) sink = 11;
    if (r) sink = 12;
  }
  return changed;
}

}  // namespace

TEST(Unwind, CallerBooleansSurviveACaughtException) { EXPECT_EQ(flags_across_catch(one), 0); }
