# Sourced by the toolchain scripts (POSIX sh): the target architecture of a
# static build. KILN_ARCH names it the way OCI and Docker do (amd64, arm64,
# s390x, ppc64le, riscv64; the uname names x86_64, aarch64, ppc64el and
# powerpc64le are accepted too), plus ppc64: big-endian POWER, not released,
# built to run the unit tests on a second big-endian CPU beside s390x (whose
# zig-cc and zig-c++ link with GNU ld: install-zig.sh). After
# `kiln_arch_select`:
#
#   KILN_ARCH      the OCI name (exported, so sub-scripts and CMake see it)
#   ARCH_CPU       zig's and GNU's CPU name (x86_64, aarch64, s390x, powerpc64le, riscv64, powerpc64)
#   ARCH_TRIPLE    the zig target, $ARCH_CPU-linux-musl
#   ARCH_DEB       Debian's architecture name (ppc64el for ppc64le)
#   ARCH_QEMU      the qemu-user binary that runs it on another host (qemu-aarch64, ...)
#   ARCH_ROOT      where its prefixes live: $KILN_CACHE itself for amd64 (the
#                  native build, unchanged paths), $KILN_CACHE/<arch> otherwise
#   ARCH_BIN_SUB   the wrapper directory under zig's bin/: "" for amd64, "<arch>" otherwise

KILN_ARCHES="amd64 arm64 s390x ppc64le riscv64 ppc64"

kiln_arch_select() {
  case "${KILN_ARCH:-amd64}" in
    amd64 | x86_64) KILN_ARCH=amd64 ARCH_CPU=x86_64 ARCH_DEB=amd64 ;;
    arm64 | aarch64) KILN_ARCH=arm64 ARCH_CPU=aarch64 ARCH_DEB=arm64 ;;
    s390x) KILN_ARCH=s390x ARCH_CPU=s390x ARCH_DEB=s390x ;;
    ppc64le | ppc64el | powerpc64le) KILN_ARCH=ppc64le ARCH_CPU=powerpc64le ARCH_DEB=ppc64el ;;
    riscv64) KILN_ARCH=riscv64 ARCH_CPU=riscv64 ARCH_DEB=riscv64 ;;
    ppc64 | powerpc64) KILN_ARCH=ppc64 ARCH_CPU=powerpc64 ARCH_DEB=ppc64 ;;
    *)
      echo "unknown architecture KILN_ARCH=$KILN_ARCH (one of: $KILN_ARCHES)" >&2
      return 1
      ;;
  esac
  export KILN_ARCH
  ARCH_TRIPLE="$ARCH_CPU-linux-musl"
  case "$ARCH_CPU" in
    powerpc64le) ARCH_QEMU=qemu-ppc64le ;;
    powerpc64) ARCH_QEMU=qemu-ppc64 ;;
    *) ARCH_QEMU="qemu-$ARCH_CPU" ;;
  esac
  if [ "$KILN_ARCH" = amd64 ]; then
    ARCH_ROOT="$KILN_CACHE" ARCH_BIN_SUB=""
  else
    ARCH_ROOT="$KILN_CACHE/$KILN_ARCH" ARCH_BIN_SUB="$KILN_ARCH"
  fi
  return 0
}
